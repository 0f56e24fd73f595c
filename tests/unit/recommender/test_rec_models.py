import numpy as np
import pandas as pd
import pytest

from recommender.errors import NotFittedError
from recommender.evaluation import evaluate
from recommender.hybrid import HybridRecommender
from recommender.knn import ItemKNN, UserKNN
from recommender.popularity import PopularityRecommender
from recommender.split import time_split

DAY = 86_400


@pytest.mark.parametrize(
    "model",
    [ItemKNN(k=5), UserKNN(k=5), PopularityRecommender(), HybridRecommender(item_k=5, user_k=5)],
)
def test_recommend_excludes_seen_items(purchases, model):
    model.fit(purchases)
    recs = model.recommend(["m0", "m10", "m3"], n=5)
    seen = set(zip(purchases.user_id, purchases.item_id, strict=False))
    assert len(recs) > 0
    assert not any((u, i) in seen for u, i in zip(recs.user_id, recs.item_id, strict=False))


@pytest.mark.parametrize(
    "model", [ItemKNN(k=5), UserKNN(k=5), HybridRecommender(item_k=5, user_k=5)]
)
def test_neighbours_recommend_the_missing_item_of_the_taste_group(purchases, model):
    recs = model.fit(purchases).recommend(["m0", "m10"], n=1)
    assert dict(zip(recs.user_id, recs.item_id, strict=False)) == {"m0": "c", "m10": "z"}


def test_recommend_before_fit_is_an_error():
    with pytest.raises(NotFittedError):
        ItemKNN().recommend(["u"])


def test_unknown_member_gets_popular_items_from_the_hybrid(purchases):
    recs = HybridRecommender(item_k=5, user_k=5).fit(purchases).recommend("new", n=3)
    assert (recs["source"] == "popularity").all() and len(recs) == 3


def test_declined_item_is_cooled_down_then_offered_again(purchases):
    feedback = pd.DataFrame(
        {"user_id": ["m0"], "item_id": ["c"], "value": [-1], "timestamp": [10 * DAY]}
    )
    model = HybridRecommender(item_k=5, user_k=5, cooldown_days=30).fit(purchases, feedback)
    during = model.recommend("m0", n=5, now=20 * DAY)
    after = model.recommend("m0", n=5, now=41 * DAY)
    assert "c" not in set(during.item_id)
    assert "c" in set(after.item_id)


def test_accepted_feedback_becomes_history(purchases):
    feedback = pd.DataFrame(
        {"user_id": ["m0"], "item_id": ["c"], "value": [1], "timestamp": [2_000]}
    )
    model = HybridRecommender(item_k=5, user_k=5).fit(purchases, feedback)
    assert "c" not in set(model.recommend("m0", n=5).item_id)


def test_record_feedback_declines_without_refit(purchases):
    model = HybridRecommender(item_k=5, user_k=5, cooldown_days=7).fit(purchases)
    assert model.recommend("m0", n=1, now=100 * DAY).item_id.tolist() == ["c"]
    model.record_feedback("m0", "c", accepted=False, timestamp=99 * DAY)
    assert "c" not in set(model.recommend("m0", n=5, now=100 * DAY).item_id)


def test_feedback_value_must_be_plus_or_minus_one(purchases):
    bad = pd.DataFrame({"user_id": ["m0"], "item_id": ["c"], "value": [3], "timestamp": [1]})
    with pytest.raises(ValueError):
        HybridRecommender().fit(purchases, bad)


def test_popularity_within_segment_and_company(purchases):
    segments = {f"m{u}": ("s1" if u < 10 else "s2") for u in range(20)}
    company = {"a": "X", "b": "X", "c": "X", "x": "Y", "y": "Y", "z": "Y"}
    pop = PopularityRecommender().fit(purchases, segments=segments, item_company=company)
    assert pop.top_items(1, segment="s2").item_id.tolist()[0] in {"x", "y"}
    assert set(pop.top_items(5, company="X").item_id) <= {"a", "b", "c"}


def test_tuning_is_reproducible_and_keeps_to_its_grid(purchases):
    train, test = time_split(purchases)
    grid = {"item-knn": {"k": [5], "metric": ["cosine"], "recency_half_life": [None]}}
    options = dict(grid=grid, parts=["popularity", "item-knn"], max_users=50)
    a = HybridRecommender().tune(train, **options)
    b = HybridRecommender().tune(train, **options)
    assert a.best_params == b.best_params
    assert a.best_params["item_k"] == 5
    assert set(a.weights) <= {"popularity", "item-knn"}


def test_evaluate_reports_every_model_on_one_split(purchases):
    train, test = time_split(purchases)
    report = evaluate(train, test, k=3, tune=False)
    models = report.table["model"].tolist()
    assert models[:3] == ["popularity", "popularity-decay", "popularity-at-member-time"]
    assert models[-1] == "hybrid"
    assert list(report.table.columns) == [
        "model",
        "precision@3",
        "recall@3",
        "ndcg@3",
        "map@3",
        "coverage",
        "params",
    ]
    assert np.isfinite(report.table.drop(columns=["model", "params"]).to_numpy()).all()
