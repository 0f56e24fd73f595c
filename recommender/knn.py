"""Item-based and user-based nearest-neighbour recommenders on a binary matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.base import BaseRecommender
from recommender.similarity import (
    column_similarity,
    column_terms,
    finish_similarity,
    finish_similarity_row,
    row_positions,
    row_weights,
    similarity_backend,
)


class ItemKNN(BaseRecommender):
    """score(u, j) = sum over the user's items i of h_ui * sim(i, j).

    ``sim`` keeps the ``k`` nearest neighbours of every item (see
    :mod:`recommender.similarity` for ``metric``, ``alpha``, ``shrink``,
    ``exponent`` and ``row_weight_power``); ``h_ui`` is 1, or the recency
    weight 0.5 ** (later events / ``recency_half_life``).
    Learned: ``similarity_`` (items x items CSR, top-k per row) and
    ``similarity_backend_`` ('implicit' when implicit's C++ kernel computed it,
    'scipy' otherwise; see :mod:`recommender.similarity`).
    """

    def __init__(
        self,
        k: int = 100,
        metric: str = "cosine",
        *,
        alpha: float = 0.5,
        shrink: float = 0.0,
        exponent: float = 1.0,
        row_weight_power: float = 0.0,
        recency_half_life: float | None = None,
        n_threads: int = 2,
    ) -> None:
        self.k = k
        self.metric = metric
        self.alpha = alpha
        self.shrink = shrink
        self.exponent = exponent
        self.row_weight_power = row_weight_power
        self.recency_half_life = recency_half_life
        self.n_threads = n_threads

    def _fit(self, frame: pd.DataFrame) -> None:
        self.similarity_backend_ = similarity_backend(self.metric, self.shrink)
        self.similarity_ = column_similarity(
            self.seen_,
            self.metric,
            self.k,
            alpha=self.alpha,
            shrink=self.shrink,
            exponent=self.exponent,
            row_weight_power=self.row_weight_power,
            n_threads=self.n_threads,
        )

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        if len(user_idx) == 1:  # serving path: one member, no sparse objects
            return self._scores_one(int(user_idx[0]))[None, :]
        return (self.history_[user_idx] @ self.similarity_).toarray()

    def _scores_one(self, u: int) -> np.ndarray:
        """``history_[u] @ similarity_`` on the CSR arrays: gather, multiply, add per item.

        Same dtype and the same order of additions as scipy's product (for each of
        the member's items, its similarity row in stored order), so the row is equal
        to the batch path's, not just close.
        """
        h, s = self.history_, self.similarity_
        a, b = h.indptr[u], h.indptr[u + 1]
        pos, ln = row_positions(s.indptr, h.indices[a:b])
        dtype = np.result_type(h.dtype, s.dtype)
        out = np.zeros(s.shape[1], dtype=dtype)
        vals = np.repeat(h.data[a:b].astype(dtype), ln) * s.data[pos].astype(dtype)
        np.add.at(out, s.indices[pos], vals)
        return out

    def score_history(self, history: sp.csr_matrix) -> np.ndarray:
        """Scores for arbitrary history rows (users x items), e.g. with feedback folded in."""
        return (sp.csr_matrix(history) @ self.similarity_).toarray()


class UserKNN(BaseRecommender):
    """score(u, j) = sum over the ``k`` most similar users v of sim(u, v) * x_vj.

    Neighbours are found at query time from the stored binary matrix (one sparse
    product per batch of users), so fitting is cheap and no users x users matrix
    is ever kept. The querying member's row is recency-weighted (``recency_half_life``),
    so neighbours are chosen by recent taste. Learned: ``seen_``, ``user_norms_``.
    """

    def __init__(
        self,
        k: int = 50,
        metric: str = "cosine",
        *,
        alpha: float = 0.5,
        shrink: float = 0.0,
        exponent: float = 1.0,
        row_weight_power: float = 0.0,
        recency_half_life: float | None = None,
    ) -> None:
        self.k = k
        self.metric = metric
        self.alpha = alpha
        self.shrink = shrink
        self.exponent = exponent
        self.row_weight_power = row_weight_power
        self.recency_half_life = recency_half_life

    def _fit(self, frame: pd.DataFrame) -> None:
        x = sp.csr_matrix(self.seen_, dtype=np.float32)
        # Column weights play the role row weights play for items: rare items say more.
        w = row_weights(sp.csr_matrix(x.T), self.row_weight_power).astype(np.float32)
        self._xw_t = sp.csr_matrix((x @ sp.diags(w)).T)  # items x users, weighted
        self._x = x
        self.user_norms_ = np.asarray(x @ w).ravel().astype(np.float64)  # c_uu
        self._total = float(w.sum())
        self._terms = None  # the metric's per-user factors, made on first one-member query

    def neighbours(self, user_idx: np.ndarray) -> sp.csr_matrix:
        """Rows of the pruned user-user similarity for the given users (users x all users)."""
        # The query row carries the member's recency weights: neighbours of recent taste.
        co = sp.csr_matrix(sp.csr_matrix(self.history_[user_idx], dtype=np.float32) @ self._xw_t)
        return finish_similarity(
            co,
            user_idx,
            self.user_norms_,
            self._total,
            self.metric,
            self.k,
            self.shrink,
            self.alpha,
            self.exponent,
        )

    def neighbours_one(self, u: int) -> tuple[np.ndarray, np.ndarray]:
        """Row ``u`` of :meth:`neighbours` as (users ascending, float32 similarities).

        The serving path: the member's recency-weighted row, the users of those
        items gathered from ``_xw_t`` in one range gather, co-occurrence added per
        user in float32 in the order scipy's product adds it (so the values are
        equal, not just close), then :func:`finish_similarity_row`. Where the k-th
        similarity is tied beyond the cut, the batch path keeps the users its
        product stored first, and scipy stores a row's columns in reverse order of
        their first appearance; ``tie_order`` reproduces that.
        """
        h, xt = self.history_, self._xw_t
        a, b = h.indptr[u], h.indptr[u + 1]
        pos, ln = row_positions(xt.indptr, h.indices[a:b])
        users = xt.indices[pos]
        co = np.zeros(xt.shape[1], dtype=np.float32)
        np.add.at(co, users, np.repeat(h.data[a:b].astype(np.float32), ln) * xt.data[pos])
        cols = np.flatnonzero(co != 0)  # as scipy stores: nonzero sums (bool nonzero is fast)

        def tie_order(tied: np.ndarray) -> np.ndarray:
            flag = np.zeros(xt.shape[1], dtype=bool)
            flag[cols[tied]] = True
            hit = np.flatnonzero(flag[users])
            _, first = np.unique(users[hit], return_index=True)  # by user, as ``tied``
            return tied[np.argsort(-hit[first], kind="stable")]

        key = (self.metric, self.alpha)
        terms = getattr(self, "_terms", None)  # absent in models pickled before this path
        if terms is None or terms[0] != key:  # parameters may be set after fit
            self._terms = key, column_terms(self.user_norms_, self._total, *key)
        return finish_similarity_row(
            co[cols],
            cols,
            u,
            self._terms[1],
            self._total,
            self.metric,
            self.k,
            self.shrink,
            self.exponent,
            tie_order,
        )

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        if len(user_idx) == 1:  # serving path: one member, no sparse objects
            return self._scores_one(int(user_idx[0]))[None, :]
        return (self.neighbours(user_idx) @ self._x).toarray()

    def _scores_one(self, u: int) -> np.ndarray:
        """Row ``u`` of ``neighbours(u) @ _x`` (float32, same order of additions as scipy)."""
        nb, sim = self.neighbours_one(u)
        x = self._x
        pos, ln = row_positions(x.indptr, nb)
        out = np.zeros(x.shape[1], dtype=np.float32)
        np.add.at(out, x.indices[pos], np.repeat(sim, ln) * x.data[pos])
        return out
