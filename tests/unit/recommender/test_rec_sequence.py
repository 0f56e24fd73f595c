"""Sequential rules: transition weights, direction, ties, and serving through the hybrid."""

import numpy as np
import pandas as pd
import pytest

from recommender.hybrid import HybridRecommender
from recommender.matrix import IdMap
from recommender.model_search import CANDIDATES, candidate_names
from recommender.sequence import (
    SequentialRules,
    latest_items,
    member_sequences,
    query_rows,
    transitions,
)


def frame(rows):
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


def transition_table(rows, **options) -> dict[tuple[str, str], float]:
    f = frame(rows)
    users, items = IdMap.from_values(f["user_id"]), IdMap.from_values(f["item_id"])
    u, i, t = member_sequences(f, users, items)
    matrix = transitions(u, i, t, len(items), **options).tocoo()
    ids = items.ids
    return {
        (ids[r], ids[c]): v
        for r, c, v in zip(matrix.row, matrix.col, matrix.data, strict=True)
        if v
    }


def test_transitions_point_from_earlier_to_later_and_weigh_one_over_the_lag():
    rows = [("m", "c", 3), ("m", "a", 1), ("m", "b", 2)]  # file order is not time order
    assert transition_table(rows, window=2, lag_power=1.0) == {
        ("a", "b"): 1.0,
        ("b", "c"): 1.0,
        ("a", "c"): 0.5,
    }
    assert transition_table(rows, window=1, lag_power=1.0) == {("a", "b"): 1.0, ("b", "c"): 1.0}
    assert transition_table(rows, window=2, lag_power=0.0)[("a", "c")] == 1.0


def test_rows_sharing_a_timestamp_count_both_ways():
    rows = [("m", "b", 5), ("m", "a", 5), ("m", "c", 9)]  # a and b in one event
    assert transition_table(rows, window=2, lag_power=1.0) == {
        ("a", "b"): 1.0,
        ("b", "a"): 1.0,
        ("b", "c"): 1.0,
        ("a", "c"): 0.5,
    }


def test_sequences_do_not_run_across_members_and_repeats_are_dropped():
    rows = [("m1", "a", 1), ("m1", "a", 2), ("m1", "b", 3), ("m2", "c", 4), ("m2", "d", 5)]
    table = transition_table(rows, window=3, lag_power=1.0)
    assert table == {("a", "b"): 1.0 + 0.5, ("c", "d"): 1.0}  # a -> a is no transition


def test_a_source_row_is_divided_by_its_count_to_the_alpha():
    rows = [("m1", "a", 1), ("m1", "b", 2), ("m2", "a", 1), ("m2", "c", 2), ("m3", "b", 1)]
    # a occurs twice, b twice: a -> b and a -> c weigh 1 / 2 ** 0.5
    table = transition_table(rows, window=1, lag_power=1.0, alpha=0.5)
    assert table == pytest.approx({("a", "b"): 2**-0.5, ("a", "c"): 2**-0.5})


def test_a_member_is_queried_by_their_latest_rows_most_recent_heaviest():
    f = frame([("m", "a", 1), ("m", "b", 2), ("m", "c", 3), ("n", "a", 1)])
    users, items = IdMap.from_values(f["user_id"]), IdMap.from_values(f["item_id"])
    u, i, _ = member_sequences(f, users, items)
    latest = latest_items(u, i, len(users), last_items=2)
    assert latest.tolist() == [[2, 1], [0, -1]]  # m: c then b; n: a only
    query = query_rows(latest, len(items), recency_power=1.0).toarray()
    assert dict(zip(items.ids, query[users.index("m")], strict=True)) == {
        "a": 0.0,
        "b": 0.5,
        "c": 1.0,
    }
    assert query[users.index("n")].tolist() == [1.0, 0.0, 0.0]
    assert (latest_items(u[:0], i[:0], 2, 2) == -1).all()  # no rows: an empty query


def test_sequential_rules_recommend_what_followed_the_latest_service():
    f = frame(
        [("m1", "film1", 1), ("m1", "film2", 2), ("m1", "film3", 3)]
        + [("m2", "film1", 1), ("m2", "film2", 2), ("m2", "film3", 3)]
        + [("probe", "film3", 1), ("probe", "film1", 2)]  # probe just watched film1
        + [("lone", "film4", 1)]  # nothing ever followed film4
    )
    model = SequentialRules(window=1, last_items=1).fit(f)
    recs = model.recommend(["probe", "lone"], n=3)
    assert recs[recs.user_id == "probe"]["item_id"].tolist() == ["film2"]
    assert recs[recs.user_id == "lone"].empty  # no evidence, no recommendation


def test_sequential_rules_apply_only_to_data_with_times():
    timed = frame([("m", "a", 1), ("m", "b", 2)])
    untimed = frame([("m", "a", 0), ("m", "b", 0)])
    assert "sequential-rules" in candidate_names(timed, include_implicit=False)
    assert "sequential-rules" not in candidate_names(untimed, include_implicit=False)
    grid = CANDIDATES["sequential-rules"].grid
    assert int(np.prod([len(v) for v in grid.values()])) <= 48  # the whole grid fits the budget


@pytest.mark.parametrize("blend", [0.0, 0.5])
def test_a_hybrid_with_the_sequence_part_serves_one_member_as_the_batch_does(purchases, blend):
    model = HybridRecommender(
        item_k=5, user_k=5, blend=blend, sequence_weight=0.7, sequence_window=2
    ).fit(purchases)
    assert model.sequence_ is not None
    batch = model.recommend(list(model.user_map_.ids), n=3)
    for user in model.user_map_.ids:
        expected = batch[batch.user_id == user][["item_id", "score"]]
        served = model.top_items(user, 3)
        assert [item for item, _ in served] == expected["item_id"].tolist()
        assert [s for _, s in served] == pytest.approx(expected["score"].tolist())
    without = HybridRecommender(item_k=5, user_k=5, blend=blend).fit(purchases)
    assert without.sequence_ is None  # weight 0: not fitted, nothing to pickle


def test_the_hybrid_sequence_part_ranks_the_successor_first():
    f = frame(
        [("m1", "a", 1), ("m1", "b", 2), ("m1", "c", 3), ("m2", "a", 1), ("m2", "c", 2)]
        + [("m3", "b", 1), ("m3", "a", 2), ("probe", "c", 1), ("probe", "b", 2)]
    )
    model = HybridRecommender(knn_weight=0.0, sequence_weight=1.0, sequence_window=1).fit(f)
    # probe's latest is b; b was followed by c (m1), seen, and by a (m3)
    assert model.top_items("probe", 2) == [("a", 1.0)]


def test_folding_pairs_in_chunks_gives_the_same_matrix(monkeypatch):
    import recommender.sequence as sequence

    rng = np.random.default_rng(0)
    f = frame(
        [
            (f"m{rng.integers(0, 30)}", f"s{rng.integers(0, 40)}", int(rng.integers(0, 50)))
            for _ in range(600)
        ]
    )
    whole = SequentialRules(window=8, alpha=0.5).fit(f).transitions_
    monkeypatch.setattr(sequence, "PAIRS_PER_FOLD", 7)
    folded = SequentialRules(window=8, alpha=0.5).fit(f).transitions_
    assert whole.nnz > 100 and folded.nnz == whole.nnz
    assert abs(whole - folded).max() < 1e-12


def test_tuning_leads_with_the_sequence_part_when_members_walk_a_chain():
    """Members walk one cycle of 30 services, each from a random start: what comes
    next is the successor of the latest, which only the sequence part knows in order."""
    rng = np.random.default_rng(0)
    rows = []
    for m in range(80):
        start = int(rng.integers(0, 30))
        for step in range(8):
            rows.append((f"m{m}", f"s{(start + step) % 30:02d}", 1_000 + 100 * step))
    result = HybridRecommender().tune(frame(rows), split="per-user", budget=4)
    assert max(result.parts, key=lambda n: result.parts[n].score) == "sequential-rules"
    assert result.weights["sequential-rules"] == 1.0
    assert result.best_params["sequence_weight"] == 1.0


def test_an_accepted_offer_becomes_the_newest_row_of_the_sequence_part_at_once():
    chain = [("m1", "a", 1), ("m1", "b", 2), ("m1", "c", 3), ("m1", "d", 4)]
    f = frame(chain + [("m2", "b", 1), ("m2", "c", 2), ("probe", "x", 1), ("probe", "a", 2)])
    options = dict(knn_weight=0.0, sequence_weight=1.0, sequence_window=1, sequence_last_items=1)
    model = HybridRecommender(**options).fit(f)
    assert model.top_items("probe", 1) == [("b", 1.0)]  # a was followed by b
    model.record_feedback("probe", "c", accepted=True, timestamp=3)
    refit = HybridRecommender(**options).fit(pd.concat([f, frame([("probe", "c", 3)])]))
    assert model.top_items("probe", 2) == refit.top_items("probe", 2) == [("d", 1.0)]
