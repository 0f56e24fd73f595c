"""EASE: a closed-form linear item-item model (Steck, "Embarrassingly Shallow Autoencoders", 2019).

B = argmin ||X - X B||^2 + l2 ||B||^2 with diag(B) = 0, solved in closed form:
P = (X^T X + l2 I)^-1, B_ij = -P_ij / P_jj, B_jj = 0. score(u, j) = sum_i h_ui B_ij.

The solve is a dense items x items inverse, so the model refuses catalogues
larger than ``max_items`` (the partner catalogues refbot serves are small; the
167 services of the groceries set take milliseconds). Measured on groceries in
:mod:`recommender.research.study`; it is not part of the hybrid (it did not beat
decayed popularity on validation, see docs/recommender.md); the hybrid may now
blend it in when its validation says so (:mod:`recommender.hybrid`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.base import BaseRecommender


class EASE(BaseRecommender):
    """Learned: ``weights_`` (items x items, dense, zero diagonal)."""

    def __init__(
        self,
        l2: float = 500.0,
        recency_half_life: float | None = None,
        max_items: int = 5000,
        item_limit: int | None = None,
    ) -> None:
        self.l2 = l2
        self.recency_half_life = recency_half_life
        self.max_items = max_items
        self.item_limit = item_limit

    def _fit(self, frame: pd.DataFrame) -> None:
        self.kept_, self.weights_ = ease_weights(
            self.seen_, self.l2, self.max_items, self.item_limit
        )

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return ease_scores(self.history_[user_idx], self.kept_, self.weights_)


def ease_weights(
    seen: sp.csr_matrix, l2: float, max_items: int = 5000, item_limit: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(kept item indices, weights among them): the ``item_limit`` most used items, or all.

    Keeping only the most used items bounds the dense solve on long catalogues
    (lastfm-2k has 17,632 artists, most heard by one member); the others get no
    EASE score. Without a limit a catalogue above ``max_items`` is refused.
    """
    n = seen.shape[1]
    users_per_item = np.asarray(seen.sum(axis=0)).ravel()
    if item_limit is not None and n > item_limit:
        kept = np.sort(np.argsort(-users_per_item, kind="stable")[:item_limit])
    else:
        kept = np.arange(n)
    if len(kept) > max_items:
        raise ValueError(f"EASE solves a dense {n} x {n} system; max_items is {max_items}")
    x = sp.csr_matrix(seen[:, kept], dtype=np.float64)
    g = (x.T @ x).toarray()
    g[np.diag_indices(len(kept))] += l2
    p = np.linalg.inv(g)
    b = -p / np.diag(p)[None, :]
    b[np.diag_indices(len(kept))] = 0.0
    return kept, b.astype(np.float32)


def ease_scores(history: sp.csr_matrix, kept: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Scores over the whole catalogue; items outside ``kept`` score 0."""
    out = np.zeros((history.shape[0], history.shape[1]), dtype=np.float32)
    out[:, kept] = np.asarray(sp.csr_matrix(history[:, kept], dtype=np.float32) @ weights)
    return out
