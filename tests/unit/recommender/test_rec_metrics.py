import math

import pytest

from recommender.metrics import (
    average_precision_at_k,
    catalogue_coverage,
    evaluate_rankings,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)

REC = ["a", "b", "c", "d"]
REL = {"b", "d", "x"}


def test_precision_counts_hits_in_the_first_k():
    assert precision_at_k(REC, REL, 4) == pytest.approx(2 / 4)
    assert precision_at_k(REC, REL, 2) == pytest.approx(1 / 2)


def test_recall_divides_by_all_relevant_items():
    assert recall_at_k(REC, REL, 4) == pytest.approx(2 / 3)


def test_ndcg_by_hand():
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(REC, REL, 4) == pytest.approx(dcg / idcg)


def test_ndcg_is_one_for_a_perfect_list():
    assert ndcg_at_k(["x", "y"], {"x", "y"}, 5) == pytest.approx(1.0)


def test_average_precision_by_hand():
    # hits at ranks 2 and 4: (1/2 + 2/4) / min(4, 3)
    assert average_precision_at_k(REC, REL, 4) == pytest.approx((0.5 + 0.5) / 3)


def test_no_hits_gives_zero():
    assert ndcg_at_k(["q"], {"x"}, 10) == 0.0
    assert average_precision_at_k(["q"], {"x"}, 10) == 0.0


def test_coverage_is_distinct_recommended_over_catalogue():
    assert catalogue_coverage([["a", "b"], ["b", "c"]], 10) == pytest.approx(0.3)


def test_evaluate_rankings_averages_users_and_counts_missing_lists_as_zero():
    res = evaluate_rankings({"u1": ["a", "b"]}, {"u1": {"a"}, "u2": {"b"}}, k=2, n_items=4)
    assert res["precision@2"] == pytest.approx((0.5 + 0) / 2)
    assert res["recall@2"] == pytest.approx(0.5)
    assert res["coverage"] == pytest.approx(0.5)
