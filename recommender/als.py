"""implicit's alternating least squares (Hu, Koren, Volinsky 2008) in this package's API.

Only the factors are kept (``user_factors_``, ``item_factors_``), never
implicit's model object, so a pickled hybrid does not depend on implicit's
class layout. Raises ImportError at fit time when implicit is not installed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from recommender.base import BaseRecommender


class ALS(BaseRecommender):
    """score(u, j) = user_factors_[u] . item_factors_[j] on the binary matrix.

    ``alpha`` is implicit's confidence weight of a positive (confidence 1 + alpha).
    """

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.01,
        alpha: float = 1.0,
        iterations: int = 15,
        n_threads: int = 2,
        random_state: int = 0,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.n_threads = n_threads
        self.random_state = random_state

    def _fit(self, frame: pd.DataFrame) -> None:
        self.user_factors_, self.item_factors_ = als_factors(
            self.seen_,
            self.factors,
            self.regularization,
            self.alpha,
            self.iterations,
            self.n_threads,
            self.random_state,
        )

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return self.user_factors_[user_idx] @ self.item_factors_.T


def als_factors(seen, factors, regularization, alpha, iterations, n_threads, random_state):
    """(user factors, item factors) of implicit's CPU ALS on a users x items matrix."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    # implicit warns when BLAS runs its own threads beside its solver's; keep it to one.
    with threadpool_limits(1, "blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AlternatingLeastSquares(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=iterations,
            num_threads=n_threads,
            random_state=random_state,
        )
        model.fit(seen.astype(np.float32).tocsr(), show_progress=False)
    return np.asarray(model.user_factors), np.asarray(model.item_factors)
