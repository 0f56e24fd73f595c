"""The parts ``refbot evaluate`` chose on movielens-small's per-member split, for the studies.

The blend studies (:mod:`~recommender.research.joint_blend`,
:mod:`~recommender.research.nested_blend`) fix every part at these parameters,
the ones ``refbot evaluate`` printed for this split (docs/recommender.md), and
vary only how the parts are blended.

    parts = fixed_parts(["user-knn", "item-knn"], Validation(train, "per-user"))
"""

from __future__ import annotations

from recommender.model_search import Tuned, Validation, tune_all

CHOSEN = {  # refbot evaluate's choices on movielens per-user validation
    "sequential-rules": {
        "alpha": 0.75,
        "lag_power": 0.25,
        "last_items": 20,
        "recency_power": 0.5,
        "window": 50,
    },
    "user-knn": {"k": 20, "metric": "cosine", "recency_half_life": 3.0},
    "item-knn": {"k": 20, "metric": "jaccard", "recency_half_life": 3.0},
    "ease": {"l2": 300.0},
    "als": {"factors": 32, "regularization": 1.0, "alpha": 1.0},
    "popularity-at-member-time": {"window_days": 365.0},
    "popularity": {"half_life_days": None},
}


def fixed_parts(names: list[str], validation: Validation, k: int = 10) -> dict[str, Tuned]:
    """Each named part at its ``CHOSEN`` parameters, scored on ``validation`` (one fit each)."""
    grids = {name: {p: [v] for p, v in CHOSEN[name].items()} for name in names}

    def threads(name: str) -> dict:
        return {"n_threads": 2} if name in ("item-knn", "als") else {}

    return tune_all(names, validation, k, 1, 0, grids, threads)
