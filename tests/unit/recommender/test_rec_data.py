import pytest

from recommender.data import load_dataset, load_generic, load_groceries, load_movielens
from recommender.errors import DataFormatError


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_groceries_reads_both_day_first_forms_and_counts_them(tmp_path):
    p = write(tmp_path, "g.csv", "1,21-07-2015,milk\n1,5/1/2015,bread\n2,3/12/2014,milk\n")
    data = load_groceries(p)
    assert data.counts == {"dd-mm-yyyy": 1, "d/m/yyyy": 2}
    assert "dd-mm-yyyy: 1" in data.description and "d/m/yyyy (day first): 2" in data.description
    # 5/1/2015 is 5 January (day first), not 1 May.
    assert data.frame.loc[1, "timestamp"] == 1420416000
    assert data.frame.loc[0, "timestamp"] == 1437436800


def test_groceries_bad_date_reports_its_line(tmp_path):
    p = write(tmp_path, "g.csv", "1,21-07-2015,milk\n1,2015-07-21,bread\n")
    with pytest.raises(DataFormatError) as err:
        load_groceries(p)
    assert err.value.line == 2
    assert "2015-07-21" in err.value.reason


def test_groceries_impossible_date_is_an_error(tmp_path):
    p = write(tmp_path, "g.csv", "1,21-07-2015,milk\n\n1,31/2/2015,bread\n")
    with pytest.raises(DataFormatError) as err:
        load_groceries(p)
    assert err.value.line == 3


def test_generic_accepts_unix_and_iso_and_amount(tmp_path):
    p = write(
        tmp_path,
        "i.csv",
        "user_id,item_id,timestamp,amount\nu,a,86400,10.5\nu,b,1970-01-03T00:00:00Z,\n",
    )
    f = load_generic(p).frame
    assert f["timestamp"].tolist() == [86400, 172800]
    assert f["amount"].iloc[0] == 10.5 and f["amount"].isna().iloc[1]


def test_generic_wrong_field_count_reports_line(tmp_path):
    p = write(tmp_path, "i.csv", "user_id,item_id,timestamp\nu,a,1\nu,b\n")
    with pytest.raises(DataFormatError) as err:
        load_generic(p)
    assert err.value.line == 3 and "fields" in err.value.reason


def test_generic_bad_header_is_line_one(tmp_path):
    p = write(tmp_path, "i.csv", "user,item,ts\nu,a,1\n")
    with pytest.raises(DataFormatError) as err:
        load_dataset(p, "generic")
    assert err.value.line == 1


def test_movielens_says_which_ratings_are_positives(tmp_path):
    p = write(tmp_path, "r.csv", "userId,movieId,rating,timestamp\n1,10,4.0,5\n1,11,2.5,6\n")
    assert "all ratings" in load_movielens(p).description
    data = load_movielens(p, min_rating=4)
    assert len(data.frame) == 1 and "ratings >= 4" in data.description


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError):
        load_dataset(tmp_path / "x", "parquet")


def test_id_map_vectorised_lookup_and_old_pickles():
    import pickle

    from recommender.matrix import IdMap

    m = IdMap.from_values(["b", "a", 7])
    assert m.indices(["a", "zz", 7, "7"]).tolist() == [1, -1, 0, 0]
    assert m.indices([]).tolist() == []
    old = pickle.loads(pickle.dumps(m))
    old.__dict__.pop("_lookup", None)  # as pickled before the lookup index existed
    assert old.indices(["b"]).tolist() == [2]
