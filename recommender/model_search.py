"""Every model tuned the same way: the same validation split, the same budget.

The validation split is carved from the *training* part with the same rule as
the test split (``split_frame(train, rule)``); each candidate model gets at most
``budget`` configurations of its grid (all of them when the grid is no larger,
otherwise a seeded random sample), each fitted on the earlier part and scored by
NDCG@k on the sampled validation members. The test split is never an input.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender.base import BaseRecommender
from recommender.metrics import ndcg_at_k
from recommender.split import has_times, relevance_sets, split_frame

DEFAULT_BUDGET = 48
# EASE solves a dense system over the most used items only; 4,000 keeps one solve
# at a few seconds on two shared cores (the dense solve is cubic in this).
EASE_ITEM_LIMIT = 4000


@dataclass(frozen=True)
class Candidate:
    """A model family: how to build one from parameters, and the grid to search."""

    name: str
    build: Callable[..., BaseRecommender]
    grid: dict[str, list]


def _implicit(kind: str):
    def build(**params):
        from recommender.evaluation import ImplicitAdapter

        return ImplicitAdapter(kind, **params)

    return build


def _als(**params):
    from recommender.als import ALS

    return ALS(**params)


def _ease(**params):
    from recommender.ease import EASE

    return EASE(**params, item_limit=EASE_ITEM_LIMIT, max_items=EASE_ITEM_LIMIT)


def _popularity(**params):
    from recommender.popularity import DecayedPopularity

    return DecayedPopularity(**params)


def _profile_popularity(**params):
    from recommender.popularity import ProfilePopularity

    return ProfilePopularity(**params)


def _time_popularity(**params):
    from recommender.popularity import MemberTimePopularity

    return MemberTimePopularity(**params)


def _sequence(**params):
    from recommender.sequence import SequentialRules

    return SequentialRules(**params)


def _knn(kind: str):
    def build(**params):
        from recommender.knn import ItemKNN, UserKNN

        return (ItemKNN if kind == "item" else UserKNN)(**params)

    return build


METRICS = ["cosine", "jaccard", "pearson"]
CANDIDATES = {
    c.name: c
    for c in (
        Candidate("popularity", _popularity, {"half_life_days": [None]}),
        Candidate(
            "popularity-decay", _popularity, {"half_life_days": [30.0, 90.0, 180.0, 365.0, 730.0]}
        ),
        Candidate(
            "popularity-at-member-time",
            _time_popularity,
            {"window_days": [7.0, 30.0, 90.0, 365.0]},
        ),
        Candidate(
            "sequential-rules",
            _sequence,
            {
                "window": [20, 50],
                "lag_power": [0.25, 0.5],
                "alpha": [0.5, 0.75, 1.0],
                "last_items": [20, 100],
                "recency_power": [0.5, 1.0],
            },
        ),
        Candidate(
            "profile-popularity", _profile_popularity, {"by": ["region", "income_band", "both"]}
        ),
        Candidate(
            "item-knn",
            _knn("item"),
            {"k": [20, 50, 100, 200], "metric": METRICS, "recency_half_life": [None, 3.0]},
        ),
        Candidate(
            "user-knn",
            _knn("user"),
            {"k": [20, 50, 100, 200], "metric": METRICS, "recency_half_life": [None, 3.0]},
        ),
        Candidate("implicit-cosine", _implicit("cosine"), {"k": [10, 20, 50, 100, 200]}),
        Candidate(
            "implicit-bm25",
            _implicit("bm25"),
            {"k": [20, 50, 100, 200], "k1": [0.6, 1.2, 2.0], "b": [0.25, 0.75, 1.0]},
        ),
        Candidate("ease", _ease, {"l2": [10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0]}),
        Candidate(
            "als",
            _als,
            {
                "factors": [32, 64, 128],
                "regularization": [0.01, 0.1, 1.0],
                "alpha": [1.0, 10.0, 40.0],
            },
        ),
    )
}
IMPLICIT_MODELS = ("implicit-cosine", "implicit-bm25", "als")
# The baselines issue 16 lists; the rest of CANDIDATES are models of ours.
LISTED_BASELINES = (
    "popularity",
    "popularity-decay",
    "item-knn",
    "user-knn",
    "implicit-cosine",
    "implicit-bm25",
    "ease",
    "als",
)


def configurations(grid: dict[str, list], budget: int, seed: int = 0) -> list[dict]:
    """The whole grid when it has at most ``budget`` points, else a seeded sample of ``budget``."""
    names = sorted(grid)
    points = [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(grid[n] for n in names))
    ]
    if len(points) <= budget:
        return points
    picks = np.random.default_rng(seed).choice(len(points), size=budget, replace=False)
    return [points[i] for i in sorted(picks)]


def candidate_names(
    frame: pd.DataFrame, include_implicit: bool = True, profiles: pd.DataFrame | None = None
) -> list[str]:
    """The models that apply to ``frame``: no time decay or order without times, implicit when it
    imports, profile popularity only with members' profiles (side information)."""
    from recommender.evaluation import implicit_available

    names = list(CANDIDATES)
    if profiles is None:
        names.remove("profile-popularity")
    if not has_times(frame):
        names.remove("popularity-decay")
        names.remove("popularity-at-member-time")
        names.remove("sequential-rules")  # no times, no order
    if not (include_implicit and implicit_available()):
        names = [n for n in names if n not in IMPLICIT_MODELS]
    return names


class Validation:
    """The validation split of a training frame and its members, for scoring fitted models."""

    def __init__(
        self,
        train: pd.DataFrame,
        split: str,
        test_fraction: float = 0.2,
        max_users: int = 2000,
        seed: int = 0,
    ) -> None:
        self.fit_part, val_part = split_frame(train, split, test_fraction, seed)
        if self.fit_part.empty:
            raise ValueError("the validation split left nothing to fit on")
        self.relevant = relevance_sets(self.fit_part, val_part)
        users = sorted(self.relevant)
        if len(users) > max_users:
            rng = np.random.default_rng(seed)
            users = sorted(rng.choice(users, size=max_users, replace=False).tolist())
        if not users:
            raise ValueError("the validation split has no member with a new known item")
        self.users = users

    def per_member(self, model: BaseRecommender, k: int) -> np.ndarray:
        """NDCG@k of a model fitted on ``fit_part``, one value per validation member."""
        from recommender.evaluation import rank_for

        ranked = rank_for(model, {u: self.relevant[u] for u in self.users}, k)
        return np.array([ndcg_at_k(ranked.get(u, []), self.relevant[u], k) for u in self.users])


@dataclass
class Tuned:
    """The outcome of one model's search: the chosen parameters and their validation NDCG."""

    name: str
    params: dict
    score: float
    trials: list[dict] = field(default_factory=list)
    model: BaseRecommender | None = None  # the chosen one, fitted on the validation fit part


def tune_candidate(
    candidate: Candidate,
    validation: Validation,
    k: int = 10,
    budget: int = DEFAULT_BUDGET,
    seed: int = 0,
    grid: dict[str, list] | None = None,
    fixed: dict | None = None,
) -> Tuned:
    """Fit every configuration (at most ``budget``) on the fit part; keep the best by NDCG@k.

    Ties keep the earlier configuration in grid order. ``fixed`` parameters go to
    every build (e.g. threads) and are not part of the search.
    """
    best: Tuned | None = None
    trials = []
    grid = dict(grid or candidate.grid)
    if "recency_half_life" in grid and not has_times(validation.fit_part):
        grid["recency_half_life"] = [None]  # without times every half-life weighs alike
    for params in configurations(grid, budget, seed):
        model = candidate.build(**params, **(fixed or {})).fit(validation.fit_part)
        score = float(validation.per_member(model, k).mean())
        trials.append(params | {"ndcg": score})
        if best is None or score > best.score:
            best = Tuned(candidate.name, params, score, model=model)
    assert best is not None  # every grid has at least one point
    best.trials = trials
    return best


def tune_all(
    names: list[str],
    validation: Validation,
    k: int = 10,
    budget: int = DEFAULT_BUDGET,
    seed: int = 0,
    grids: dict[str, dict[str, list]] | None = None,
    fixed: Callable[[str], dict] | None = None,
) -> dict[str, Tuned]:
    """:func:`tune_candidate` for every named model on one validation split."""
    grids = grids or {}
    return {
        name: tune_candidate(
            CANDIDATES[name],
            validation,
            k,
            budget,
            seed,
            grids.get(name),
            fixed(name) if fixed else None,
        )
        for name in names
    }
