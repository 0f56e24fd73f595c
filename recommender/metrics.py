"""Ranking metrics at a cut-off k. Pure functions on lists and sets.

Definitions (``rec`` is a ranked list, ``rel`` the set of relevant items):

* precision@k = hits in rec[:k] / k
* recall@k    = hits in rec[:k] / |rel|
* NDCG@k      = DCG / IDCG, DCG = sum over hits at 1-based rank r of 1 / log2(r + 1),
  IDCG = the same for min(k, |rel|) hits at the top
* AP@k        = (sum over hits at rank r of precision@r) / min(k, |rel|); MAP@k is its mean
* coverage    = distinct items recommended to anyone / catalogue size

Users with an empty relevant set are skipped by :func:`evaluate_rankings`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np


def _hits(rec: Sequence, rel: set, k: int) -> np.ndarray:
    return np.array([r in rel for r in list(rec)[:k]], dtype=bool)


def precision_at_k(rec: Sequence, rel: set, k: int) -> float:
    if k <= 0:
        raise ValueError("k must be positive")
    return float(_hits(rec, rel, k).sum()) / k


def recall_at_k(rec: Sequence, rel: set, k: int) -> float:
    if not rel:
        return 0.0
    return float(_hits(rec, rel, k).sum()) / len(rel)


def ndcg_at_k(rec: Sequence, rel: set, k: int) -> float:
    if not rel:
        return 0.0
    hits = _hits(rec, rel, k)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float((hits * discounts[: len(hits)]).sum())
    idcg = float(discounts[: min(k, len(rel))].sum())
    return dcg / idcg


def average_precision_at_k(rec: Sequence, rel: set, k: int) -> float:
    if not rel:
        return 0.0
    hits = _hits(rec, rel, k)
    if not hits.any():
        return 0.0
    ranks = np.flatnonzero(hits) + 1
    precisions = np.cumsum(hits)[hits] / ranks
    return float(precisions.sum()) / min(k, len(rel))


def map_at_k(recs: Iterable[Sequence], rels: Iterable[set], k: int) -> float:
    values = [average_precision_at_k(r, s, k) for r, s in zip(recs, rels, strict=True)]
    return float(np.mean(values)) if values else 0.0


def catalogue_coverage(recs: Iterable[Sequence], n_items: int, k: int | None = None) -> float:
    if n_items <= 0:
        return 0.0
    seen: set = set()
    for r in recs:
        seen.update(list(r)[:k] if k else r)
    return len(seen) / n_items


def evaluate_rankings(
    recs: Mapping[object, Sequence], rels: Mapping[object, set], k: int, n_items: int
) -> dict[str, float]:
    """Mean precision/recall/NDCG/MAP at k over users with relevant items, plus coverage.

    A user in ``rels`` without an entry in ``recs`` counts as an empty list (all zeros).
    """
    users = [u for u, s in rels.items() if s]
    lists = [list(recs.get(u, []))[:k] for u in users]
    sets = [rels[u] for u in users]
    if not users:
        return {f"{m}@{k}": 0.0 for m in ("precision", "recall", "ndcg", "map")} | {"coverage": 0.0}
    pairs = list(zip(lists, sets, strict=True))
    return {
        f"precision@{k}": float(np.mean([precision_at_k(r, s, k) for r, s in pairs])),
        f"recall@{k}": float(np.mean([recall_at_k(r, s, k) for r, s in pairs])),
        f"ndcg@{k}": float(np.mean([ndcg_at_k(r, s, k) for r, s in pairs])),
        f"map@{k}": map_at_k(lists, sets, k),
        "coverage": catalogue_coverage(lists, n_items, k),
    }
