import numpy as np
import pandas as pd
import pytest

from recommender.ease import EASE
from recommender.research.study import ALL_FEATURES, Block, cross_fitted, pair_features
from recommender.split import time_split

DAY = 86_400


def test_ease_recommends_the_missing_item_of_the_taste_group(purchases):
    recs = EASE(l2=1.0).fit(purchases).recommend(["m0", "m10"], n=1)
    assert dict(zip(recs.user_id, recs.item_id, strict=True)) == {"m0": "c", "m10": "z"}


def test_ease_refuses_a_catalogue_too_large_for_a_dense_solve(purchases):
    with pytest.raises(ValueError, match="max_items"):
        EASE(max_items=3).fit(purchases)


def planted_baskets(seed: int = 0) -> pd.DataFrame:
    """Members with 'a' in their first basket buy 'k' in the next; popularity favours p0..p5.

    k is rare in first baskets (only members who bought a and k together), so
    popularity never ranks it first; the co-purchase features point at it.
    """
    rng = np.random.default_rng(seed)
    popular = [f"p{i}" for i in range(6)]
    rows = []
    for m in range(300):
        first = list(rng.choice(popular, 3, replace=False))
        if m < 100:  # the planted pattern
            first.append("a")
            second = ["k"]
        elif m < 130:  # where the a-k co-purchase is seen
            first += ["a", "k"]
            second = [str(rng.choice(popular))]
        else:
            first.append("b")
            second = list(rng.choice(popular, 2, replace=False))
        rows += [(f"m{m}", i, 0) for i in first]
        rows += [(f"m{m}", i, 10 * DAY) for i in second]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


def test_reranker_ranks_the_planted_co_purchase_first_where_popularity_does_not():
    block = Block.from_split(*time_split(planted_baskets()))
    scores = cross_fitted("hgb", ALL_FEATURES, pair_features(block), block)
    k = block.item_map.index("k")
    planted = np.array([int(u[1:]) < 100 for u in block.users])
    top = scores.argmax(axis=1)
    assert (top[planted] == k).mean() > 0.9
    pop = block.frame.groupby("item_id")["user_id"].nunique()
    assert (pop > pop["k"]).sum() >= 5  # popularity puts k below five other services
