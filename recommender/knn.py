"""Item-based and user-based nearest-neighbour recommenders on a binary matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.base import BaseRecommender
from recommender.similarity import (
    column_similarity,
    finish_similarity,
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
        return (self.history_[user_idx] @ self.similarity_).toarray()

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

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return (self.neighbours(user_idx) @ self._x).toarray()
