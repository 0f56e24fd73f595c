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
        """Indices for many ids, -1 for unknown ones (one hashed lookup, not a Python loop)."""
        keys = pd.Index(np.asarray(keys, dtype=object).ravel())
        if len(keys) and keys.inferred_type != "string":
            keys = keys.astype(str)
        lookup = self.__dict__.get("_lookup")
        if lookup is None:  # built lazily: artefacts pickled before it existed still load
            lookup = self._lookup = pd.Index(self.ids)
        return lookup.get_indexer(keys).astype(np.int64)


def recency_weights(
    frame: pd.DataFrame, half_life: float | None, user_codes: np.ndarray | None = None
) -> np.ndarray:
    """Per-row weight 0.5 ** (r / half_life), r = number of the user's later events.

    An event is a distinct timestamp of that user, so one basket shares a weight.
    ``half_life=None`` gives weight 1 everywhere. ``user_codes``: integer user
    codes of ``frame``'s rows when already known (saves hashing the ids again).
    """
    if half_life is None or "timestamp" not in frame:
        return np.ones(len(frame))
    if len(frame) == 0:
        return np.ones(0)
    users = (
        pd.factorize(frame["user_id"].to_numpy())[0]
        if user_codes is None
        else np.asarray(user_codes, dtype=np.int64)
    )
    ts = frame["timestamp"].to_numpy().astype(np.int64)
    t0, span = int(ts.min()), int(ts.max()) - int(ts.min()) + 1
    if (int(users.max()) + 1) * span < 2**62:  # one sort on (user, time) in a single key
        # equal keys (same user, same time) share one event: their order does not matter
        order = np.argsort(users * np.int64(span) + (ts - t0))
    else:
        order = np.lexsort((ts, users))
    u, t = users[order], ts[order]
    new_user = np.r_[True, u[1:] != u[:-1]]
    event = np.cumsum(new_user | np.r_[True, t[1:] != t[:-1]])  # running event number
    last = np.maximum.reduceat(event, np.flatnonzero(new_user))  # each user's last event
    later = np.empty(len(frame), dtype=np.float64)
    later[order] = last[np.cumsum(new_user) - 1] - event  # events after this row's, same user
    return np.power(0.5, later / float(half_life))


def build_matrix(
    frame: pd.DataFrame,
    users: IdMap,
    items: IdMap,
    values: np.ndarray | None = None,
    *,
    positions: tuple[np.ndarray, np.ndarray] | None = None,
) -> sp.csr_matrix:
    """users x items CSR; duplicates keep the largest value; rows/cols not in the maps dropped.

    ``positions``: the (user, item) indices of ``frame``'s rows when already looked up.
    """
    return build_matrices(frame, users, items, [values], positions=positions)[0]


def build_matrices(
    frame: pd.DataFrame,
    users: IdMap,
    items: IdMap,
    values_list,
    *,
    positions: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[sp.csr_matrix]:
    """:func:`build_matrix` for several value arrays (None = ones) sharing one sort of the cells."""
    if positions is None:
        positions = (
            users.indices(frame["user_id"].to_numpy()),
            items.indices(frame["item_id"].to_numpy()),
        )
    u, i = positions
    keep = (u >= 0) & (i >= 0)
    all_kept = bool(keep.all())
    vs = [
        np.ones(len(frame)) if v is None else np.asarray(v, dtype=np.float64) for v in values_list
    ]
    if not all_kept:
        u, i, vs = u[keep], i[keep], [v[keep] for v in vs]
    if len(u) == 0:
        return [sp.csr_matrix((len(users), len(items)), dtype=np.float64) for _ in vs]
    # Keep the max value per (user, item): one sort on the cell key, max per run of equal keys.
    key = u * np.int64(len(items)) + i
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    cells = key[starts]
    rows, cols = np.divmod(cells, np.int64(len(items)))
    cols = cols.astype(np.int32)
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=len(users)))]
    shape = (len(users), len(items))
    out = []
    for v in vs:
        vals = np.maximum.reduceat(v[order], starts)
        out.append(sp.csr_matrix((vals, cols.copy(), indptr.copy()), shape=shape))
    return out
