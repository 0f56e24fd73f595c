"""Explicit id maps and the sparse user x item matrices built from a frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp


@dataclass
class IdMap:
    """External ids <-> contiguous indices, in a fixed (sorted) order."""

    ids: np.ndarray

    def __post_init__(self) -> None:
        self.ids = np.asarray(self.ids, dtype=object)
        self._index = {v: i for i, v in enumerate(self.ids)}

    @classmethod
    def from_values(cls, values) -> IdMap:
        return cls(np.array(sorted(pd.unique(pd.Series(values, dtype=object).astype(str)))))

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, key) -> bool:
        return str(key) in self._index

    def index(self, key) -> int:
        """Index of an external id; KeyError when unknown."""
        return self._index[str(key)]

    def get(self, key, default: int = -1) -> int:
        return self._index.get(str(key), default)

    def indices(self, keys) -> np.ndarray:
        """Indices for many ids, -1 for unknown ones."""
        return np.fromiter((self._index.get(str(k), -1) for k in keys), dtype=np.int64)


def recency_weights(frame: pd.DataFrame, half_life: float | None) -> np.ndarray:
    """Per-row weight 0.5 ** (r / half_life), r = number of the user's later events.

    An event is a distinct timestamp of that user, so one basket shares a weight.
    ``half_life=None`` gives weight 1 everywhere.
    """
    if half_life is None or "timestamp" not in frame:
        return np.ones(len(frame))
    ranks = frame.groupby("user_id", sort=False)["timestamp"].rank(method="dense", ascending=False)
    return np.power(0.5, (ranks.to_numpy() - 1.0) / float(half_life))


def build_matrix(frame: pd.DataFrame, users: IdMap, items: IdMap,
                 values: np.ndarray | None = None) -> sp.csr_matrix:
    """users x items CSR; duplicates keep the largest value; rows/cols not in the maps dropped."""
    u = users.indices(frame["user_id"].to_numpy())
    i = items.indices(frame["item_id"].to_numpy())
    v = np.ones(len(frame)) if values is None else np.asarray(values, dtype=np.float64)
    keep = (u >= 0) & (i >= 0)
    u, i, v = u[keep], i[keep], v[keep]
    if len(u) == 0:
        return sp.csr_matrix((len(users), len(items)), dtype=np.float64)
    # Keep the max value per (user, item): sort by value so the last write wins.
    order = np.lexsort((v, i, u))
    u, i, v = u[order], i[order], v[order]
    last = np.r_[(u[1:] != u[:-1]) | (i[1:] != i[:-1]), True]
    m = sp.csr_matrix((v[last], (u[last], i[last])), shape=(len(users), len(items)))
    m.sort_indices()
    return m
