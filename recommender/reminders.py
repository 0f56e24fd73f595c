"""Reminders for regular purchases: a detected period per member x service.

A (member, service) pair is *regular* when it has at least ``min_occurrences``
distinct purchase days and the gaps between them are steady: coefficient of
variation (std / mean of the gaps) at most ``max_cv``. Its period is the median
gap; the next due date is the last purchase plus the period.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

DAY = 86_400


def detect_periods(
    frame: pd.DataFrame,
    min_occurrences: int = 3,
    max_cv: float = 0.35,
    min_period_days: float = 1.0,
) -> pd.DataFrame:
    """user_id, item_id, occurrences, period_days, cv, last, next_due (Unix seconds)."""
    days = (frame["timestamp"] // DAY).astype(np.int64)
    df = pd.DataFrame(
        {
            "user_id": frame["user_id"].astype(str),
            "item_id": frame["item_id"].astype(str),
            "day": days,
        }
    )
    df = df.drop_duplicates().sort_values(["user_id", "item_id", "day"], kind="mergesort")
    rows = []
    for (u, i), g in df.groupby(["user_id", "item_id"], sort=True):
        if len(g) < min_occurrences:
            continue
        gaps = np.diff(g["day"].to_numpy()).astype(float)
        mean = gaps.mean()
        if mean < min_period_days:
            continue
        cv = gaps.std() / mean
        if cv > max_cv:
            continue
        period = float(np.median(gaps))
        last = int(g["day"].iloc[-1]) * DAY
        rows.append(
            {
                "user_id": u,
                "item_id": i,
                "occurrences": len(g),
                "period_days": period,
                "cv": float(cv),
                "last": last,
                "next_due": int(last + period * DAY),
            }
        )
    cols = ["user_id", "item_id", "occurrences", "period_days", "cv", "last", "next_due"]
    return pd.DataFrame(rows, columns=cols)


def due_reminders(
    periods: pd.DataFrame,
    now: float,
    lead_days: float = 1.0,
    last_sent: Mapping | None = None,
    min_gap_days: float = 7.0,
) -> pd.DataFrame:
    """Reminders to send at ``now``: due within ``lead_days`` (or overdue by under a period).

    At most one per member, and none to a member reminded in the last
    ``min_gap_days`` (``last_sent``: user_id -> Unix seconds). The most regular
    (lowest cv) due pair wins.
    """
    last_sent = last_sent or {}
    p = periods
    due = p[
        (p["next_due"] <= now + lead_days * DAY) & (p["next_due"] > now - p["period_days"] * DAY)
    ]
    recent = due["user_id"].map(lambda u: last_sent.get(u, -np.inf))
    due = due[recent.to_numpy() <= now - min_gap_days * DAY]
    due = due.sort_values(["user_id", "cv", "next_due", "item_id"], kind="mergesort")
    return due.drop_duplicates("user_id", keep="first").reset_index(drop=True)
