"""Time-based hold-out: each user's latest interactions go to the test set.

The rule, exactly (the same for the test split and for the validation split
carved from the training data):

1. Rows are grouped by user and ordered by ``timestamp``. Interactions of one
   user with the same timestamp form one *event* (a grocery basket is one
   event); an event is never split between train and test.
2. For a user with ``n`` interactions the target is ``ceil(test_fraction * n)``
   held-out interactions. The boundary is the timestamp of the
   ``n - target``-th interaction (0-based) in time order (ties broken by
   item id); every interaction at or after that timestamp is held out.
3. If that would hold out all of a user's events (one event only, or the
   boundary falls on the first one), the user's earliest event stays in train
   and only later events are held out; a user with a single event stays
   wholly in train.
4. Users with fewer than ``min_interactions`` rows stay wholly in train.

The test relevance set of a user (see :func:`relevance_sets`) is the held-out
items the user had *not* interacted with in train (recommendations exclude
seen items) and that exist in the training catalogue (no model can rank an
item it has never seen). Users left with an empty set are not evaluated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def time_split(
    frame: pd.DataFrame, test_fraction: float = 0.2, min_interactions: int = 2
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``frame`` (user_id, item_id, timestamp, ...) into (train, test) by the rule above."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError("test_fraction must be in (0, 1)")
    df = frame.sort_values(["user_id", "timestamp", "item_id"], kind="mergesort")
    df = df.reset_index(drop=True)
    users = df["user_id"].to_numpy()
    ts = df["timestamp"].to_numpy()
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    ends = np.r_[starts[1:], len(df)]
    n = ends - starts
    target = np.ceil(test_fraction * n).astype(np.int64)
    boundary_pos = starts + (n - target)
    boundary_ts = ts[np.minimum(boundary_pos, ends - 1)]
    first_ts = ts[starts]
    # Rule 3: never hold out the earliest event.
    boundary_ts = np.where(boundary_ts <= first_ts, np.iinfo(np.int64).min, boundary_ts)
    per_row_boundary = np.repeat(boundary_ts, n)
    per_row_first = np.repeat(first_ts, n)
    eligible = np.repeat(n >= min_interactions, n)
    held = eligible & (ts >= per_row_boundary) & (per_row_boundary != np.iinfo(np.int64).min)
    # Rule 3 (boundary on the first event): hold out the events after the first one.
    no_boundary = per_row_boundary == np.iinfo(np.int64).min
    fallback = eligible & no_boundary & (ts > per_row_first)
    held |= fallback
    return df[~held].reset_index(drop=True), df[held].reset_index(drop=True)


def relevance_sets(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, set[str]]:
    """user_id -> held-out items that are new to the user and known to the training catalogue."""
    known_items = set(train["item_id"].unique())
    seen = set(zip(train["user_id"].to_numpy(), train["item_id"].to_numpy(), strict=True))
    out: dict[str, set[str]] = {}
    for u, i in zip(test["user_id"].to_numpy(), test["item_id"].to_numpy(), strict=True):
        if i in known_items and (u, i) not in seen:
            out.setdefault(u, set()).add(i)
    return out


SPLITS = ("global", "per-user", "random")


def global_time_split(
    frame: pd.DataFrame, quantile: float = 0.8
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Everything before one cut-off trains; what members do at or after it is the test.

    The cut-off is the ``quantile`` of all interaction times (numpy's linear
    interpolation), so no member's future is in training, as in production. A
    member with no interaction before the cut-off has no history to rank from and
    simply gets no relevant items (:func:`relevance_sets` drops them).
    """
    if not 0.0 < quantile < 1.0:
        raise ValueError("quantile must be in (0, 1)")
    stamps = frame["timestamp"].to_numpy()
    if len(stamps) == 0:
        return frame.iloc[:0].copy(), frame.iloc[:0].copy()
    cutoff = np.quantile(stamps, quantile)
    before = stamps < cutoff
    return frame[before].reset_index(drop=True), frame[~before].reset_index(drop=True)


def random_holdout_split(
    frame: pd.DataFrame, test_fraction: float = 0.2, seed: int = 0, min_interactions: int = 2
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per member, a random ``ceil(test_fraction * n)`` of their rows held out (fixed seed).

    For data without times (lastfm-2k). A member keeps at least one row in
    train; members with fewer than ``min_interactions`` rows stay wholly in train.
    The same seed gives the same split on the same frame, whatever its row order.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError("test_fraction must be in (0, 1)")
    df = frame.sort_values(["user_id", "item_id"], kind="mergesort").reset_index(drop=True)
    rng = np.random.default_rng(seed)
    key = rng.random(len(df))  # a random rank within each member
    df["_key"] = key
    rank = df.groupby("user_id", sort=False)["_key"].rank(method="first").to_numpy()
    n = df.groupby("user_id", sort=False)["user_id"].transform("size").to_numpy()
    target = np.minimum(np.ceil(test_fraction * n), n - 1)
    held = (n >= min_interactions) & (rank <= target)
    df = df.drop(columns="_key")
    return df[~held].reset_index(drop=True), df[held].reset_index(drop=True)


def split_frame(
    frame: pd.DataFrame, split: str, test_fraction: float = 0.2, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) by the named rule: ``global`` (time cut-off at the 1 - test_fraction
    quantile), ``per-user`` (:func:`time_split`) or ``random`` (:func:`random_holdout_split`).

    The validation split for tuning is the same rule applied to the training part.
    """
    if split == "global":
        return global_time_split(frame, 1.0 - test_fraction)
    if split == "per-user":
        return time_split(frame, test_fraction)
    if split == "random":
        return random_holdout_split(frame, test_fraction, seed)
    raise ValueError(f"split must be one of {', '.join(SPLITS)}")


def has_times(frame: pd.DataFrame) -> bool:
    """False when every interaction carries the same timestamp (a file without times)."""
    return frame["timestamp"].nunique() > 1
