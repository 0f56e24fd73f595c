"""Splits, the lastfm format, the paired bootstrap and tuning that never sees the test split."""

import numpy as np
import pandas as pd
import pytest

import recommender.model_search as model_search
from recommender.bootstrap import paired_bootstrap
from recommender.data import load_dataset
from recommender.errors import DataFormatError
from recommender.evaluation import evaluate
from recommender.hybrid import HybridRecommender
from recommender.split import (
    global_time_split,
    random_holdout_split,
    relevance_sets,
    split_frame,
)
from recommender.tuning import blend_tuned


def frame(rows):
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


def test_global_split_cuts_every_member_at_one_time():
    # times 0..9: the 80th percentile (linear) is 7.2, so 8 and 9 are the test for everyone
    f = frame([("u" if t % 2 else "v", f"i{t}", t) for t in range(10)])
    train, test = global_time_split(f, 0.8)
    assert sorted(test["timestamp"]) == [8, 9]
    assert train["timestamp"].max() == 7


def test_random_holdout_is_seeded_and_keeps_a_row_per_member():
    f = frame([("u", f"i{n}", 0) for n in range(10)] + [("v", "a", 0), ("v", "b", 0)])
    train, test = random_holdout_split(f, 0.2, seed=3)
    assert (test["user_id"] == "u").sum() == 2  # ceil(0.2 * 10)
    assert (test["user_id"] == "v").sum() == 1  # ceil(0.2 * 2), one row stays
    again, _ = random_holdout_split(f.sample(frac=1, random_state=1), 0.2, seed=3)
    assert train.equals(again)  # row order of the file does not matter
    other, _ = random_holdout_split(f, 0.2, seed=4)
    assert not train.equals(other)


def test_split_frame_refuses_an_unknown_rule():
    with pytest.raises(ValueError, match="split must be one of"):
        split_frame(frame([("u", "a", 1)]), "leave-one-out")


def test_lastfm_reads_the_shared_layout_and_names_a_bad_line(tmp_path):
    path = tmp_path / "user_artists.dat"
    path.write_bytes(b"2\t51\t13883\r\n2\t52\t11690\r\n3\t51\t7\r\n")
    data = load_dataset(path, "lastfm")
    assert data.frame[["user_id", "item_id"]].values.tolist() == [
        ["2", "51"],
        ["2", "52"],
        ["3", "51"],
    ]
    assert data.frame["amount"].tolist() == [13883, 11690, 7]
    assert (data.frame["timestamp"] == 0).all()
    header = tmp_path / "with_header.dat"
    header.write_text("userID\tartistID\tweight\n2\t51\t1\n")
    assert len(load_dataset(header, "lastfm").frame) == 1
    path.write_bytes(b"2\t51\t13883\r\n2\t52\r\n")
    with pytest.raises(DataFormatError) as error:
        load_dataset(path, "lastfm")
    assert error.value.line == 2


def test_paired_bootstrap_of_a_constant_difference_is_that_difference():
    a = np.array([0.5, 0.2, 0.9, 0.0])
    shifted = paired_bootstrap(a + 0.1, a)
    assert shifted.low == pytest.approx(0.1) and shifted.high == pytest.approx(0.1)
    assert shifted.verdict == "win"
    assert paired_bootstrap(a, a + 0.1).verdict == "loss"
    noisy = paired_bootstrap(np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.0, 1.0, 0.0, 1.0]))
    assert noisy.low < 0 < noisy.high and noisy.verdict == "match"


def test_a_grid_larger_than_the_budget_is_sampled_to_the_budget():
    grid = {"a": [1, 2, 3], "b": [1, 2, 3]}
    assert len(model_search.configurations(grid, 20)) == 9
    sample = model_search.configurations(grid, 4, seed=0)
    assert len(sample) == 4 and sample == model_search.configurations(grid, 4, seed=0)


@pytest.fixture
def timed(purchases):
    """The two-taste-groups purchases spread over 40 days, so the global split has a test."""
    f = purchases.copy()
    f["timestamp"] = f["timestamp"] * 800
    return f


def test_tuning_never_sees_the_test_split(timed, monkeypatch):
    train, test = global_time_split(timed, 0.8)
    train_rows = set(map(tuple, train[["user_id", "item_id", "timestamp"]].to_numpy().tolist()))
    fitted = []
    real_fit = model_search.Validation.__init__

    def spy(self, frame, *args, **kwargs):
        fitted.append(frame)
        real_fit(self, frame, *args, **kwargs)

    monkeypatch.setattr(model_search.Validation, "__init__", spy)
    options = dict(split="global", budget=3, include_implicit=False)
    evaluate(train, test, k=3, **options)
    rows = set(map(tuple, fitted[0][["user_id", "item_id", "timestamp"]].to_numpy().tolist()))
    assert rows == train_rows


def _leaking_choice(train, test, k, budget):  # type: ignore[no-untyped-def]
    """What a tuner that scored its candidates on ``test`` would choose: the blend."""
    names = model_search.candidate_names(train, include_implicit=False)
    leaking = model_search.Validation(train, "global")
    leaking.fit_part = train
    leaking.relevant = relevance_sets(train, test)
    leaking.users = sorted(leaking.relevant)
    parts = model_search.tune_all(names, leaking, k, budget)
    return blend_tuned(parts, leaking, k, budget).describe()


def test_tuning_ignores_a_signal_only_the_test_split_carries(timed):
    """A test split in which every member's held-out item is the other taste
    group's would lead a tuner that saw it to popularity; the chosen blend and
    parameters must be those chosen with the true test."""
    train, test = global_time_split(timed, 0.8)
    options = dict(split="global", budget=3, include_implicit=False)
    crossed = pd.DataFrame(
        [
            (member, "x" if int(member[1:]) < 10 else "a", 10**7)
            for member in sorted(set(train["user_id"]))
        ],
        columns=["user_id", "item_id", "timestamp"],
    )
    honest = evaluate(train, test, k=3, **options)
    assert _leaking_choice(train, crossed, 3, 3) != honest.blend  # the signal is real
    with_signal = evaluate(train, crossed, k=3, **options)
    assert with_signal.blend == honest.blend
    assert with_signal.tuned == honest.tuned
    assert with_signal.table["params"].tolist() == honest.table["params"].tolist()


def test_the_report_names_the_best_other_model_and_its_interval(timed):
    train, test = global_time_split(timed, 0.8)
    report = evaluate(train, test, k=3, split="global", budget=2, include_implicit=False)
    ndcg = report.table.set_index("model")["ndcg@3"]
    assert report.best_other == ndcg.drop("hybrid").idxmax()
    assert report.interval.members == report.members == len(report.per_member["hybrid"])
    expected = ndcg["hybrid"] - ndcg[report.best_other]
    assert report.interval.mean == pytest.approx(expected)


def test_a_hybrid_with_ease_and_als_serves_one_member_as_the_batch_does(purchases):
    pytest.importorskip("implicit")
    model = HybridRecommender(
        item_k=5, user_k=5, ease_weight=0.5, ease_l2=1.0, als_weight=0.3, als_factors=4
    ).fit(purchases)
    batch = model.recommend(list(model.user_map_.ids), n=3)
    for user in model.user_map_.ids:
        expected = batch[batch.user_id == user]["item_id"].tolist()
        assert [item for item, _ in model.top_items(user, 3)] == expected
    # The probe m0 lacks its group's "c": EASE alone ranks it first.
    ease_only = HybridRecommender(knn_weight=0.0, ease_weight=1.0, ease_l2=1.0).fit(purchases)
    assert ease_only.top_items("m0", 1)[0][0] == "c"


def test_popularity_at_member_time_counts_only_the_window_up_to_the_members_last_visit():
    from recommender.popularity import MemberTimePopularity

    day = 86_400
    f = frame(
        [
            ("early", "old", 0),
            ("other", "old", 1 * day),
            ("other", "new", 20 * day),
            ("third", "new", 21 * day),
            ("third", "later", 40 * day),  # after "early"'s last visit plus the window
        ]
    )
    model = MemberTimePopularity(window_days=5).fit(f)

    def scores_of(member):
        row = model.scores(model.user_map_.indices([member]))[0]
        return dict(zip(model.item_map_.ids, row, strict=True))

    assert scores_of("early") == {"later": 0.0, "new": 0.0, "old": 1.0}  # days -5..0 only
    assert scores_of("third") == {"later": 1.0, "new": 0.0, "old": 0.0}


def test_profile_popularity_ranks_what_members_of_the_same_profile_use():
    from recommender.popularity import ProfilePopularity

    f = frame(
        [("a", "latte", 0), ("b", "latte", 0), ("c", "tea", 0), ("d", "tea", 0), ("d", "x", 0)]
    )
    profiles = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d"],
            "income_band": ["high", "high", "low", "low"],
            "region": ["north", "south", "north", "north"],
        }
    )
    by_band = ProfilePopularity("income_band", profiles).fit(f)
    row = by_band.scores(by_band.user_map_.indices(["c"]))[0]
    assert dict(zip(by_band.item_map_.ids, row, strict=True)) == {
        "latte": 0.0,
        "tea": 1.0,
        "x": 0.5,
    }
    by_region = ProfilePopularity("region", profiles).fit(f)
    row = by_region.scores(by_region.user_map_.indices(["a"]))[0]  # north: a, c, d
    assert dict(zip(by_region.item_map_.ids, row, strict=True)) == pytest.approx(
        {"latte": 1 / 3, "tea": 2 / 3, "x": 1 / 3}
    )
    hybrid = HybridRecommender(knn_weight=0.0, profile_weight=1.0, profile_by="income_band")
    hybrid.fit(f, profiles=profiles)
    assert hybrid.top_items("a", 1) == []  # the high band used only latte, which a has
    assert hybrid.top_items("c", 1) == [("x", 0.5)]  # tea is seen; x: half the low band


def test_the_blend_keeps_a_part_only_when_validation_gains_beyond_noise():
    from recommender.tuning import clearly_better

    old = np.array([0.2, 0.4, 0.6, 0.8] * 25)
    assert clearly_better(old + 0.01, old)  # every member gains: no doubt
    noisy = old + np.array([0.3, -0.29] * 50)  # mean +0.005, error 0.03
    assert not clearly_better(noisy, old)
    assert not clearly_better(old, old)


class _PlantedScorer:
    """Per-member NDCG of a blend, from gains planted per part (stands in for BlendScorer)."""

    def __init__(self, gains):
        self.gains = gains

    def score(self, weights):
        base = np.tile([0.2, 0.4, 0.6, 0.8], 50)
        return base + self.gains.get(frozenset(weights), np.zeros(200))


def _search(monkeypatch, gains, scores):
    import recommender.tuning as tuning
    from recommender.model_search import Tuned

    monkeypatch.setattr(tuning, "BlendScorer", lambda parts, validation, k: _PlantedScorer(gains))
    parts = {name: Tuned(name, {}, score) for name, score in scores.items()}
    return tuning.search_blend(parts, validation=None, k=10, budget=48)


def test_the_blend_keeps_an_ensemble_no_part_of_which_is_clear_alone(monkeypatch):
    scores = {"seq": 0.17, "ease": 0.14, "user": 0.13, "item": 0.12, "als": 0.11}
    noise = np.tile([0.03, -0.03], 100)
    gains = {  # alone each adds noise around +0.002; item and als together +0.01 for everyone
        frozenset({"seq", "item"}): 0.002 + noise,
        frozenset({"seq", "als"}): 0.002 + noise,
        frozenset({"seq", "item", "als"}): np.full(200, 0.01),
    }
    weights, _, trials = _search(monkeypatch, gains, scores)
    assert set(weights) == {"seq", "item", "als"} and weights["seq"] == 1.0
    assert len(trials) <= 48


def test_the_blend_keeps_the_best_part_alone_when_no_ensemble_is_clear(monkeypatch):
    scores = {"seq": 0.17, "ease": 0.14, "user": 0.13, "item": 0.12, "als": 0.11}
    noise = np.tile([0.03, -0.03], 100)
    gains = {frozenset({"seq", "item", "als"}): 0.003 + noise}  # the leader, within noise
    weights, _, _ = _search(monkeypatch, gains, scores)
    assert weights == {"seq": 1.0}
