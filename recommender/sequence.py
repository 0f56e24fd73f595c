"""Sequential rules: what members use next, after what they used just before.

The per-member split holds out each member's *latest* rows, and members use
services (rate films) in sessions: what comes next is tied to what came just
before, which no order-free model sees. From every member's training rows in
time order (ties by item id), each pair (row p, row p + d) for lags
d = 1 .. ``window`` is a transition source -> target weighing d ** -lag_power
(the sequential-rules weighting of session-based recommendation; 1 = 1/d).
Rows with the same timestamp (one basket, one rating burst) have no known order,
so such a pair counts both ways. A source item's row is divided by the item's
number of rows ** ``alpha`` (a popular item is a source for everything), and
an item's transition to itself is dropped (a repeat says nothing about a new
service). A member is scored from their ``last_items`` latest rows, the j-th
from the end (0-based) weighing (j + 1) ** -recency_power: score = q @ T. The
latest rows are kept as item codes, so an accepted offer becomes the newest at
once (:func:`follow`), as a refit would make it.

Data without times (lastfm) has no order: :func:`candidate_names` skips this
model there, as it skips popularity decay.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.base import BaseRecommender

PAIRS_PER_FOLD = 4_000_000


def member_sequences(
    frame: pd.DataFrame, user_map, item_map
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user codes, item codes, timestamps) of ``frame``'s rows in (user, time, item id) order."""
    users = user_map.indices(frame["user_id"].to_numpy())
    items = item_map.indices(frame["item_id"].to_numpy())
    stamps = frame["timestamp"].to_numpy(np.int64)
    order = np.lexsort((items, stamps, users))  # item codes follow the sorted item ids
    return users[order], items[order], stamps[order]


def transitions(
    users: np.ndarray,
    items: np.ndarray,
    stamps: np.ndarray,
    n_items: int,
    window: int,
    lag_power: float = 1.0,
    alpha: float = 0.0,
) -> sp.csr_matrix:
    """Items x items: summed lag weights of source -> target pairs, source rows normalised.

    The arrays are one sequence per user, in order (:func:`member_sequences`).
    Pairs are folded into the matrix every ``PAIRS_PER_FOLD`` or so, so memory
    follows the distinct pairs, not rows x window.
    """
    matrix = sp.csr_matrix((n_items, n_items))
    pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    size = 0
    for lag in range(1, min(window, len(items) - 1) + 1):
        same = users[lag:] == users[:-lag]
        if not same.any():
            break  # no member has a longer sequence
        src, dst = items[:-lag][same], items[lag:][same]
        tie = stamps[:-lag][same] == stamps[lag:][same]
        src, dst = np.r_[src, dst[tie]], np.r_[dst, src[tie]]
        keep = src != dst  # a repeat says nothing about a new service
        pending.append((src[keep], dst[keep], np.full(int(keep.sum()), float(lag) ** -lag_power)))
        size += int(keep.sum())
        if size >= PAIRS_PER_FOLD:
            matrix, pending, size = matrix + _pairs(pending, n_items), [], 0
    if pending:
        matrix = matrix + _pairs(pending, n_items)
    matrix = sp.csr_matrix(matrix)
    if alpha:
        counts = np.bincount(items, minlength=n_items).astype(np.float64)
        scale = np.divide(1.0, counts**alpha, out=np.zeros(n_items), where=counts > 0)
        matrix = sp.csr_matrix(sp.diags(scale) @ matrix)
    return matrix


def _pairs(pending, n_items: int) -> sp.csr_matrix:
    src, dst, vals = (np.concatenate(column) for column in zip(*pending, strict=True))
    matrix = sp.csr_matrix((vals, (src, dst)), shape=(n_items, n_items))
    matrix.sum_duplicates()
    return matrix


def latest_items(users: np.ndarray, items: np.ndarray, n_users: int, last_items: int) -> np.ndarray:
    """Users x ``last_items`` item codes, each member's latest rows newest first, -1 padded."""
    latest = np.full((n_users, last_items), -1, dtype=np.int32)
    if len(users) == 0:
        return latest
    ends = np.r_[np.flatnonzero(users[1:] != users[:-1]), len(users) - 1]
    last_position = np.repeat(ends, np.diff(np.r_[-1, ends]))
    from_end = last_position - np.arange(len(users))
    keep = from_end < last_items
    latest[users[keep], from_end[keep]] = items[keep]
    return latest


def query_rows(latest: np.ndarray, n_items: int, recency_power: float = 1.0) -> sp.csr_matrix:
    """Query rows of a block of ``latest``: the j-th newest item weighs (j + 1) ** -p."""
    weights = np.broadcast_to((np.arange(latest.shape[1]) + 1.0) ** -recency_power, latest.shape)
    rows = np.broadcast_to(np.arange(latest.shape[0])[:, None], latest.shape)
    ok = latest >= 0
    query = sp.csr_matrix((weights[ok], (rows[ok], latest[ok])), shape=(latest.shape[0], n_items))
    query.sum_duplicates()
    return query


def sequence_scores(
    matrix: sp.csr_matrix, latest: np.ndarray, user_idx: np.ndarray, recency_power: float
) -> np.ndarray:
    """Dense scores ``q @ T`` for the members ``user_idx``."""
    return (query_rows(latest[user_idx], matrix.shape[0], recency_power) @ matrix).toarray()


def follow(latest: np.ndarray, user: int, item: int) -> None:
    """Make ``item`` the member's newest row in place (an accepted offer), as a refit would."""
    latest[user, 1:] = latest[user, :-1].copy()
    latest[user, 0] = item


class SequentialRules(BaseRecommender):
    """Scores what tends to follow a member's latest services (see the module docstring).

    Learned: ``transitions_`` (items x items CSR), ``latest_`` (users x ``last_items``
    item codes, newest first, -1 padded).
    """

    def __init__(
        self,
        window: int = 10,
        lag_power: float = 1.0,
        alpha: float = 0.0,
        last_items: int = 10,
        recency_power: float = 1.0,
    ) -> None:
        self.window = window
        self.lag_power = lag_power
        self.alpha = alpha
        self.last_items = last_items
        self.recency_power = recency_power

    def _fit(self, frame: pd.DataFrame) -> None:
        self.transitions_, self.latest_ = sequence_parts(
            frame,
            self.user_map_,
            self.item_map_,
            self.window,
            self.lag_power,
            self.alpha,
            self.last_items,
        )

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return sequence_scores(self.transitions_, self.latest_, user_idx, self.recency_power)


def sequence_parts(
    frame, user_map, item_map, window, lag_power, alpha, last_items
) -> tuple[sp.csr_matrix, np.ndarray]:
    """(transitions, latest items) of :class:`SequentialRules`, for it and the hybrid."""
    users, items, stamps = member_sequences(frame, user_map, item_map)
    n_items = len(item_map)
    matrix = transitions(users, items, stamps, n_items, window, lag_power, alpha)
    return matrix, latest_items(users, items, len(user_map), last_items)
