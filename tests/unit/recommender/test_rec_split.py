import pandas as pd

from recommender.split import relevance_sets, time_split


def frame(rows):
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


def test_latest_interactions_are_held_out():
    f = frame([("u", f"i{t}", t) for t in range(10)])
    train, test = time_split(f, test_fraction=0.2)
    assert sorted(test["item_id"]) == ["i8", "i9"]
    assert len(train) == 8


def test_an_event_is_never_split():
    # two baskets: t=1 (3 items), t=2 (3 items); 20% of 6 -> 2 rows, boundary inside basket 2
    f = frame(
        [("u", "a", 1), ("u", "b", 1), ("u", "c", 1), ("u", "d", 2), ("u", "e", 2), ("u", "f", 2)]
    )
    train, test = time_split(f, 0.2)
    assert set(test["item_id"]) == {"d", "e", "f"}


def test_single_event_user_stays_in_train_and_first_event_never_held_out():
    f = frame(
        [
            ("solo", "a", 1),
            ("solo", "b", 1),
            ("two", "a", 1),
            ("two", "b", 2),
            ("two", "c", 2),
            ("two", "d", 2),
        ]
    )
    train, test = time_split(f, 0.9)
    assert "solo" not in set(test["user_id"])
    assert set(test[test.user_id == "two"]["item_id"]) == {"b", "c", "d"}


def test_relevance_excludes_seen_and_unknown_items():
    train = frame([("u", "a", 1), ("v", "b", 1)])
    test = frame([("u", "a", 2), ("u", "b", 2), ("u", "zzz", 2)])
    assert relevance_sets(train, test) == {"u": {"b"}}
