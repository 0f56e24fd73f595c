"""EASE: a closed-form linear item-item model (Steck, "Embarrassingly Shallow Autoencoders", 2019).

B = argmin ||X - X B||^2 + l2 ||B||^2 with diag(B) = 0, solved in closed form:
P = (X^T X + l2 I)^-1, B_ij = -P_ij / P_jj, B_jj = 0. score(u, j) = sum_i h_ui B_ij.

The solve is a dense items x items inverse, so the model refuses catalogues
larger than ``max_items`` (the partner catalogues refbot serves are small; the
167 services of the groceries set take milliseconds). Measured on groceries in
:mod:`recommender.research.study`; it is not part of the hybrid (it did not beat
decayed popularity on validation, see docs/recommender.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.base import BaseRecommender


class EASE(BaseRecommender):
    """Learned: ``weights_`` (items x items, dense, zero diagonal)."""

    def __init__(
        self, l2: float = 500.0, recency_half_life: float | None = None, max_items: int = 5000
    ) -> None:
        self.l2 = l2
        self.recency_half_life = recency_half_life
        self.max_items = max_items

    def _fit(self, frame: pd.DataFrame) -> None:
        n = len(self.item_map_)
        if n > self.max_items:
            raise ValueError(f"EASE solves a dense {n} x {n} system; max_items is {self.max_items}")
        g = (self.seen_.T @ self.seen_).toarray()
        g[np.diag_indices(n)] += self.l2
        p = np.linalg.inv(g)
        b = -p / np.diag(p)[None, :]
        b[np.diag_indices(n)] = 0.0
        self.weights_ = b

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return np.asarray(self.history_[user_idx] @ self.weights_)
