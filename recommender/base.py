"""Common estimator plumbing: id maps, the seen matrix, batched top-n."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.errors import NotFittedError
from recommender.matrix import IdMap, build_matrices, build_matrix, recency_weights

REQUIRED = ("user_id", "item_id")


def _check_frame(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"interactions frame lacks columns {missing}")
    frame = frame.copy()
    frame["user_id"] = frame["user_id"].astype(str)
    frame["item_id"] = frame["item_id"].astype(str)
    if "timestamp" not in frame:
        frame["timestamp"] = 0
    return frame


def top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise top-n of a dense (users x items) block; -inf entries are never returned.

    Returns (indices, scores), both (rows x n); missing slots are -1 / nan.
    """
    n = min(n, scores.shape[1])
    if n <= 0:
        return np.empty((scores.shape[0], 0), int), np.empty((scores.shape[0], 0))
    if n < scores.shape[1]:
        part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    else:
        part = np.tile(np.arange(scores.shape[1]), (scores.shape[0], 1))
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    idx = np.take_along_axis(part, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    bad = ~np.isfinite(vals)
    idx = np.where(bad, -1, idx)
    vals = np.where(bad, np.nan, vals)
    return idx, vals


class BaseRecommender:
    """Estimator skeleton: ``fit(frame)`` then ``recommend(user_ids, n)``.

    Learned state: ``user_map_`` / ``item_map_`` (external ids <-> indices),
    ``seen_`` (binary users x items CSR) and ``history_`` (the same pattern with
    recency weights, see ``recency_half_life``). Subclasses implement
    ``_fit(frame)`` and ``_scores(user_idx) -> dense block``.
    """

    recency_half_life: float | None = None
    batch_size: int = 512

    def fit(self, interactions: pd.DataFrame):
        """Learn from a frame with user_id, item_id[, timestamp, amount]; returns self."""
        return self._fit_checked(_check_frame(interactions))

    def _fit_checked(self, frame: pd.DataFrame):
        """:meth:`fit` on a frame that already went through ``_check_frame``."""
        self.user_map_ = IdMap.from_values(frame["user_id"])
        self.item_map_ = IdMap.from_values(frame["item_id"])
        pos = (
            self.user_map_.indices(frame["user_id"].to_numpy()),
            self.item_map_.indices(frame["item_id"].to_numpy()),
        )
        if self.recency_half_life is None or "timestamp" not in frame:
            self.seen_ = build_matrix(frame, self.user_map_, self.item_map_, positions=pos)
            self.history_ = self.seen_.copy()
        else:  # both matrices from one sort of the cells
            weights = recency_weights(frame, self.recency_half_life, user_codes=pos[0])
            self.seen_, self.history_ = build_matrices(
                frame, self.user_map_, self.item_map_, [None, weights], positions=pos
            )
        self._fit(frame)
        return self

    def _fit(self, frame: pd.DataFrame) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not hasattr(self, "item_map_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit() first")

    def scores(self, user_idx: np.ndarray) -> np.ndarray:
        """Dense scores for a block of user indices (rows) over all items (columns)."""
        self._check_fitted()
        return np.asarray(self._scores(np.asarray(user_idx, dtype=np.int64)), dtype=np.float64)

    def recommend_indices(
        self,
        user_idx: Iterable[int],
        n: int = 10,
        exclude_seen: bool = True,
        exclude: sp.csr_matrix | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-n item indices and scores for known user indices, in batches.

        ``exclude`` is an optional users x items sparse mask (nonzero = never recommend).
        """
        self._check_fitted()
        user_idx = np.asarray(list(user_idx), dtype=np.int64)
        out_i, out_s = [], []
        for a in range(0, len(user_idx), self.batch_size):
            rows = user_idx[a : a + self.batch_size]
            s = self.scores(rows)
            s[s <= 0] = -np.inf  # no evidence, no recommendation
            if exclude_seen:
                _mask(s, self.seen_[rows])
            if exclude is not None:
                _mask(s, exclude[rows])
            i, v = top_n(s, n)
            out_i.append(i)
            out_s.append(v)
        if not out_i:
            return np.empty((0, n), int), np.empty((0, n))
        return np.vstack(out_i), np.vstack(out_s)

    def recommend(self, user_ids, n: int = 10, exclude_seen: bool = True) -> pd.DataFrame:
        """Top-n items for external user ids: frame user_id, item_id, score, rank (1 = best).

        Users unknown to the model get no rows (see HybridRecommender for a fallback).
        """
        self._check_fitted()
        if isinstance(user_ids, str | int | np.integer):
            user_ids = [user_ids]
        ids = [str(u) for u in user_ids]
        idx = self.user_map_.indices(ids)
        known = idx >= 0
        items, scores = self.recommend_indices(idx[known], n, exclude_seen)
        return recommendations_frame(
            np.asarray(ids, dtype=object)[known], items, scores, self.item_map_
        )


def _mask(block: np.ndarray, mask: sp.csr_matrix) -> None:
    m = sp.csr_matrix(mask)
    r = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    block[r, m.indices] = -np.inf


def recommendations_frame(
    user_ids: np.ndarray, items: np.ndarray, scores: np.ndarray, item_map: IdMap
) -> pd.DataFrame:
    if items.size == 0:
        return pd.DataFrame({"user_id": [], "item_id": [], "score": [], "rank": []})
    n = items.shape[1]
    users = np.repeat(user_ids, n)
    flat_i, flat_s = items.ravel(), scores.ravel()
    ranks = np.tile(np.arange(1, n + 1), len(user_ids))
    ok = flat_i >= 0
    return pd.DataFrame(
        {
            "user_id": users[ok],
            "item_id": item_map.ids[flat_i[ok]],
            "score": flat_s[ok],
            "rank": ranks[ok],
        }
    ).reset_index(drop=True)
