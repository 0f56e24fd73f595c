"""Offline evaluation: every model on the same split, the same metrics.

``evaluate(train, test, k)`` fits popularity, item-kNN, user-kNN, the hybrid
(tuned on a validation split carved from ``train``) and, when the optional
``implicit`` package imports, its ItemItem cosine and BM25 recommenders; it
returns one row of metrics per model.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender.base import BaseRecommender, _check_frame, top_n
from recommender.metrics import evaluate_rankings
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
    tuned: dict = field(default_factory=dict)


def evaluate(
    train: pd.DataFrame,
    test: pd.DataFrame,
    k: int = 10,
    *,
    include_implicit: bool = True,
    tune: bool = True,
    random_state: int = 0,
) -> EvaluationReport:
    """Fit every model on ``train``; score its top-k against ``test`` (see split.relevance_sets)."""
    from recommender.hybrid import HybridRecommender
    from recommender.knn import ItemKNN, UserKNN
    from recommender.popularity import PopularityRecommender

    train, test = _check_frame(train), _check_frame(test)
    rels = relevance_sets(train, test)
    notes = [
        f"train: {len(train):,} interactions; test: {len(test):,} held out, "
        f"{len(rels):,} users with new known items ({sum(map(len, rels.values())):,} pairs)"
    ]
    models: dict[str, BaseRecommender] = {
        "popularity": PopularityRecommender(),
        "item-knn": ItemKNN(k=100, metric="cosine"),
        "user-knn": UserKNN(k=50, metric="cosine"),
    }
    hybrid = HybridRecommender(random_state=random_state)
    if tune:
        t0 = time.perf_counter()
        result = hybrid.tune(train, k=k)
        notes.append(
            f"hybrid tuned on a validation split of train in "
            f"{time.perf_counter() - t0:.1f}s: {result.best_params}"
        )
    models["hybrid"] = hybrid
    if include_implicit:
        if implicit_available():
            models["implicit-cosine"] = ImplicitAdapter("cosine")
            models["implicit-bm25"] = ImplicitAdapter("bm25")
        else:
            notes.append("implicit is not installed: its cosine and BM25 rows are skipped")
    rows = []
    for name, model in models.items():
        model.fit(train)
        rows.append({"model": name} | score_model(model, rels, k))
    kernel = hybrid.item_knn_.similarity_backend_
    notes.append(
        "item similarity kernel (item-knn, hybrid): "
        + ("implicit all_pairs_knn" if kernel == "implicit" else "scipy sparse product")
    )
    table = pd.DataFrame(rows)
    table.columns = ["model"] + [c.format(k=k) for c in METRIC_COLUMNS]
    return EvaluationReport(table, notes, getattr(hybrid, "best_params_", {}))


__all__ = [
    "EvaluationReport",
    "ImplicitAdapter",
    "evaluate",
    "implicit_available",
    "score_model",
    "rank_for",
    "top_n",
]
