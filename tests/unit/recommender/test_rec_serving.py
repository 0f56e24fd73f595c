"""The one-member serving path (plain numpy on the CSR arrays) against the batch path."""

import numpy as np
import pandas as pd
import pytest

import recommender.similarity as similarity
from recommender.hybrid import HybridRecommender
from recommender.knn import ItemKNN, UserKNN

METRICS = ("cosine", "jaccard", "pearson")
# Plain settings, and the benchmark's (column weights, asymmetric cosine) with shrink/exponent.
SETTINGS = ({}, {"row_weight_power": 0.5, "alpha": 1.0, "shrink": 2.0, "exponent": 2.0})


@pytest.fixture(scope="module")
def small():
    """60 members, 40 services, three timestamps: many equal recency weights, so ties."""
    rng = np.random.default_rng(0)
    n = 900
    return pd.DataFrame(
        {
            "user_id": rng.integers(0, 60, n).astype(str),
            "item_id": rng.integers(0, 40, n).astype(str),
            "timestamp": rng.integers(0, 3, n),
        }
    )


@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize("metric", METRICS)
def test_user_knn_one_member_rows_equal_the_batch_rows(small, metric, settings):
    model = UserKNN(5, metric, recency_half_life=3.0, **settings).fit(small)
    users = np.arange(len(model.user_map_))
    batch = model._scores(users)
    for u in users:
        one = model._scores(np.array([u]))
        assert one.dtype == batch.dtype == np.float32
        np.testing.assert_allclose(one[0], batch[u], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("half_life", (None, 3.0))
def test_tied_neighbours_beyond_the_cut_are_chosen_as_the_batch_path_does(half_life, monkeypatch):
    """m0 uses a and b; m1..m4 each share one of them and own one service: four equal cosines.

    With k=1 the batch path keeps the user its sparse product stored first; the
    one-member path must keep the same one (not simply the lowest index).
    """
    rows = [("m0", "a", 0), ("m0", "b", 0)]
    for v, (shared, own) in enumerate([("a", "p"), ("a", "q"), ("b", "r"), ("b", "s")], 1):
        rows += [(f"m{v}", shared, 0), (f"m{v}", own, 0)]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    calls = []
    inner = similarity.top_k_positions

    def counting(d, k, tie_order=None):
        if tie_order is None:
            return inner(d, k)
        return inner(d, k, lambda tied: calls.append(len(tied)) or tie_order(tied))

    monkeypatch.setattr(similarity, "top_k_positions", counting)
    model = UserKNN(1, "cosine", recency_half_life=half_life).fit(frame)
    u = model.user_map_.index("m0")
    batch = model._scores(np.arange(len(model.user_map_)))[u]
    one = model._scores(np.array([u]))[0]
    assert calls == [4]  # the tie was met and resolved by the batch order
    np.testing.assert_array_equal(one, batch)
    assert np.count_nonzero(one[model.item_map_.indices(["p", "q", "r", "s"])]) == 1


@pytest.mark.parametrize("metric", METRICS)
def test_item_knn_one_member_rows_equal_the_batch_rows(small, metric):
    model = ItemKNN(10, metric, recency_half_life=3.0, n_threads=1).fit(small)
    users = np.arange(len(model.user_map_))
    batch = model._scores(users)
    for u in users:
        one = model._scores(np.array([u]))
        assert one.dtype == batch.dtype
        np.testing.assert_allclose(one[0], batch[u], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("blend", (0.0, 0.5))
@pytest.mark.parametrize("metric", METRICS)
def test_top_items_matches_recommend_for_every_member(small, metric, blend):
    model = HybridRecommender(
        item_k=10, user_k=5, blend=blend, metric=metric, recency_half_life=3.0, n_threads=1
    ).fit(small)
    users = np.arange(len(model.user_map_))
    batch_scores = model._scores(users)
    ids = model.user_map_.ids
    frame = model.recommend(list(ids), n=10)
    for u in users:
        np.testing.assert_allclose(model._scores(np.array([u]))[0], batch_scores[u], rtol=1e-6)
        rows = frame[frame["user_id"] == ids[u]].sort_values("rank")
        single = model.top_items(ids[u], n=10)
        assert [s for _, s in single] == pytest.approx(rows["score"].tolist(), rel=1e-6)
        # An item may stand at another rank only where the batch path scores it
        # exactly as the item it displaced (a tie).
        col = model.item_map_.indices([i for i, _ in single])
        for rank, (mine, theirs) in enumerate(zip(single, rows["item_id"], strict=True)):
            if mine[0] != theirs:
                assert batch_scores[u, col[rank]] == rows["score"].iloc[rank]


def test_one_member_path_follows_parameters_set_after_fit(small):
    model = UserKNN(5, "cosine", alpha=0.5).fit(small)
    model._scores(np.array([0]))  # caches the cosine factors for alpha 0.5
    model.alpha = 0.9  # changed without a refit
    batch = model._scores(np.arange(len(model.user_map_)))
    np.testing.assert_allclose(model._scores(np.array([3]))[0], batch[3], rtol=1e-6)
