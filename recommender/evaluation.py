"""Offline evaluation: every model tuned alike, fitted on one split, scored alike.

``evaluate(train, test, k, split=...)`` tunes every baseline
(:data:`recommender.model_search.CANDIDATES`: popularity with and without time
decay, item-kNN, user-kNN, EASE and, when the optional ``implicit`` package
imports, its cosine, BM25 and ALS) and the hybrid's blend of them with the same
budget on a validation split carved from ``train`` by the same rule as the test
split, refits each on all of ``train`` and scores its top-k against ``test``.
It reports one row per model with the chosen parameters, the number of test
members, and the paired bootstrap interval of the hybrid's NDCG@k minus the
best other model's (the strict comparison: models of ours, such as sequential
rules, included), then, second, minus the best of issue 16's listed baselines.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender.base import BaseRecommender, _check_frame, top_n
from recommender.bootstrap import PairedInterval, paired_bootstrap
from recommender.metrics import evaluate_rankings, ndcg_at_k
from recommender.model_search import (
    CANDIDATES,
    DEFAULT_BUDGET,
    LISTED_BASELINES,
    Validation,
    candidate_names,
    tune_all,
)
from recommender.split import relevance_sets

log = logging.getLogger(__name__)

METRIC_COLUMNS = ["precision@{k}", "recall@{k}", "ndcg@{k}", "map@{k}", "coverage"]


class ImplicitAdapter(BaseRecommender):
    """Wraps implicit's ItemItem recommenders in this package's estimator API.

    ``kind`` is ``cosine`` (CosineRecommender) or ``bm25`` (BM25Recommender).
    Raises ImportError at fit time when implicit is not installed.
    """

    def __init__(
        self,
        kind: str = "cosine",
        k: int = 20,
        k1: float = 1.2,
        b: float = 0.75,
        n_threads: int = 2,
    ) -> None:
        self.kind = kind
        self.k = k
        self.k1 = k1
        self.b = b
        self.n_threads = n_threads

    def _fit(self, frame: pd.DataFrame) -> None:
        from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

        if self.kind == "cosine":
            self.model_ = CosineRecommender(K=self.k, num_threads=self.n_threads)
        else:
            self.model_ = BM25Recommender(
                K=self.k, K1=self.k1, B=self.b, num_threads=self.n_threads
            )
        self._user_items = self.seen_.astype(np.float32).tocsr()
        with warnings.catch_warnings():  # implicit warns about its own internal COO copy
            warnings.simplefilter("ignore")
            self.model_.fit(self._user_items, show_progress=False)

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return (self._user_items[user_idx] @ self.model_.similarity).toarray()


def implicit_available() -> bool:
    try:
        import implicit.nearest_neighbours  # noqa: F401
    except Exception:  # pragma: no cover - depends on the environment
        return False
    return True


def rank_for(model: BaseRecommender, rels: dict[str, set[str]], k: int) -> dict[str, list[str]]:
    """Top-k item ids for every user of ``rels`` the model knows."""
    users = [u for u in rels if u in model.user_map_]
    idx = model.user_map_.indices(users)
    items, _ = model.recommend_indices(idx, k, exclude_seen=True)
    ids = model.item_map_.ids
    return {u: [ids[i] for i in row if i >= 0] for u, row in zip(users, items, strict=True)}


def score_model(model: BaseRecommender, rels: dict[str, set[str]], k: int) -> dict[str, float]:
    recs = rank_for(model, rels, k)
    return evaluate_rankings(recs, rels, k, len(model.item_map_))


@dataclass
class EvaluationReport:
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    tuned: dict = field(default_factory=dict)  # the hybrid's parameters
    members: int = 0  # test members scored
    per_member: dict[str, np.ndarray] = field(default_factory=dict)  # model -> NDCG@k by member
    best_other: str = ""
    interval: PairedInterval | None = None  # hybrid minus best_other, NDCG@k
    blend: str = ""  # the hybrid's blend of tuned parts, in words
    best_listed: str = ""  # the best of issue 16's listed baselines (no model of ours)
    listed_interval: PairedInterval | None = None  # hybrid minus best_listed, NDCG@k


def format_params(params: dict) -> str:
    return ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )


def evaluate(
    train: pd.DataFrame,
    test: pd.DataFrame,
    k: int = 10,
    *,
    split: str = "per-user",
    include_implicit: bool = True,
    tune: bool = True,
    budget: int = DEFAULT_BUDGET,
    random_state: int = 0,
    resamples: int = 2000,
    test_fraction: float = 0.2,
    profiles: pd.DataFrame | None = None,
) -> EvaluationReport:
    """Tune on a ``split`` of ``train`` (never ``test``), fit on ``train``, score on ``test``.

    Test members are those with training history and at least one held-out
    item they had not used that the training catalogue knows (split.relevance_sets).
    ``profiles`` (user_id, income_band, region) adds the side-information model
    ``profile-popularity``, which the hybrid may then blend in.
    """
    from recommender.hybrid import HybridRecommender
    from recommender.tuning import blend_tuned

    train, test = _check_frame(train), _check_frame(test)
    known_members = set(train["user_id"])
    rels = {u: s for u, s in relevance_sets(train, test).items() if u in known_members}
    members = sorted(rels)
    notes = [
        f"train: {len(train):,} interactions; test: {len(test):,} held out; "
        f"{len(members):,} test members ({sum(map(len, rels.values())):,} relevant pairs)"
    ]
    names = candidate_names(train, include_implicit, profiles)

    def fixed(name: str) -> dict:
        return {"profiles": profiles} if name == "profile-popularity" else _threads(name)

    if include_implicit and not implicit_available():
        notes.append("implicit is not installed: its cosine, BM25 and ALS rows are skipped")
    params: dict[str, dict] = {name: {} for name in names}
    hybrid_params: dict = {}
    blend = "untuned defaults"
    if tune:
        t0 = time.perf_counter()
        validation = Validation(train, split, test_fraction, seed=random_state)
        tuned = tune_all(names, validation, k, budget, random_state, fixed=fixed)
        result = blend_tuned(tuned, validation, k, budget)
        params = {name: t.params for name, t in tuned.items()}
        hybrid_params, blend = result.best_params, result.describe()
        notes.append(
            f"tuning: validation = the {split} split of train, {len(validation.users):,} "
            f"validation members; budget {budget} configurations per model and {budget} "
            f"blends for the hybrid; {time.perf_counter() - t0:.1f}s"
        )
    rows, per_member = [], {}
    for name in names:
        model = CANDIDATES[name].build(**params[name], **fixed(name)).fit(train)
        row, per_member[name] = _score(model, rels, members, k)
        rows.append({"model": name} | row | {"params": format_params(params[name])})
    hybrid = HybridRecommender(random_state=random_state, **hybrid_params)
    hybrid.fit(train, profiles=profiles)
    row, per_member["hybrid"] = _score(hybrid, rels, members, k)
    rows.append({"model": "hybrid"} | row | {"params": blend})
    table = pd.DataFrame(rows)
    table.columns = ["model"] + [c.format(k=k) for c in METRIC_COLUMNS] + ["params"]
    ndcg = table.set_index("model")[f"ndcg@{k}"].drop("hybrid")
    best_other = str(ndcg.idxmax())
    interval = paired_bootstrap(
        per_member["hybrid"], per_member[best_other], resamples, seed=random_state
    )
    listed = ndcg[[n for n in ndcg.index if n in LISTED_BASELINES]]
    best_listed = str(listed.idxmax()) if len(listed) else ""
    listed_interval = (
        paired_bootstrap(
            per_member["hybrid"], per_member[best_listed], resamples, seed=random_state
        )
        if best_listed
        else None
    )
    kernel = hybrid.item_knn_.similarity_backend_
    notes.append(
        "item similarity kernel (hybrid): "
        + ("implicit all_pairs_knn" if kernel == "implicit" else "scipy sparse product")
    )
    return EvaluationReport(
        table,
        notes,
        hybrid_params,
        len(members),
        per_member,
        best_other,
        interval,
        blend,
        best_listed,
        listed_interval,
    )


def _threads(name: str) -> dict:
    return (
        {"n_threads": 2} if name in ("item-knn", "implicit-cosine", "implicit-bm25", "als") else {}
    )


def _score(model, rels, members, k) -> tuple[dict, np.ndarray]:
    ranked = rank_for(model, rels, k)
    row = evaluate_rankings(ranked, rels, k, len(model.item_map_))
    return row, np.array([ndcg_at_k(ranked.get(u, []), rels[u], k) for u in members])


__all__ = [
    "EvaluationReport",
    "ImplicitAdapter",
    "evaluate",
    "implicit_available",
    "score_model",
    "rank_for",
    "top_n",
]
