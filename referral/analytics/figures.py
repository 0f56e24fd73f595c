"""Figures on plain frames, each hand-checkable: cohorts, RFM, retention,
lifetime value, percentiles among peers.

A count under ``floor`` (MIN_AUDIENCE) is never shown: it becomes None, and
so does any share or average computed over such a base.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from referral.analytics.days import month_label

MAX_COHORTS = 12
RETENTION_CAP = 0.95  # a lifetime of at most 20 expected months
RFM_GROUPS = ("champions", "loyal", "new", "promising", "at_risk", "lost")


def shown(count: int, floor: int) -> int | None:
    return int(count) if count >= floor else None


def ratio(part: float, whole: int, floor: int) -> float | None:
    """part / whole when the base ``whole`` is at least ``floor`` members."""
    return float(part) / whole if whole >= floor and whole > 0 else None


def cohorts(days: pd.DataFrame, current_month: int, floor: int) -> list[dict]:
    """Retention by cohort: ``days`` has member_id and month (one row per active
    member-month or more). A cohort is the month of a member's first purchase;
    cell k is the share of the cohort who bought in its k-th month after. A
    cohort smaller than ``floor`` is hidden whole; a cell whose buyers are
    fewer than ``floor`` is None."""
    if days.empty:
        return []
    active = days[["member_id", "month"]].drop_duplicates()
    first = active.groupby("member_id")["month"].min().rename("cohort")
    active = active.join(first, on="member_id")
    active["offset"] = active["month"] - active["cohort"]
    sizes = first.value_counts()
    counts = active.groupby(["cohort", "offset"]).size()
    rows = []
    for cohort in sorted(sizes.index)[-MAX_COHORTS:]:
        size = int(sizes[cohort])
        cells: list[float | None] = []
        if size >= floor:
            for offset in range(0, current_month - cohort + 1):
                buyers = int(counts.get((cohort, offset), 0))
                cells.append(buyers / size if buyers >= floor else None)
        rows.append(
            {"cohort": month_label(int(cohort)), "size": shown(size, floor), "cells": cells}
        )
    return rows


def month_retention(days: pd.DataFrame, current_month: int) -> tuple[int, int]:
    """(buyers, returned) pooled over complete month pairs: members who bought in
    month m, and of them those who bought again in m + 1 (m + 1 before the
    current month)."""
    active = set(zip(days["member_id"], days["month"], strict=True))
    buyers = [(member, month) for member, month in active if month + 1 < current_month]
    returned = sum(1 for member, month in buyers if (member, month + 1) in active)
    return len(buyers), returned


def tertile(values: pd.Series) -> pd.Series:
    """Scores 1-3 by percentile rank, higher values higher (ties share the average rank)."""
    pct = values.rank(method="average", pct=True)
    return np.clip(np.ceil(pct * 3), 1, 3).astype(int)


def rfm(customers: pd.DataFrame, today: int) -> pd.DataFrame:
    """R, F, M scores and group per member. ``customers``: member_id, last_day,
    visits, revenue_minor. R ranks recency (fewer days since the last visit
    is better), F visit days, M revenue."""
    out = customers[["member_id"]].copy()
    out["r"] = tertile(-(today - customers["last_day"]))
    out["f"] = tertile(customers["visits"])
    out["m"] = tertile(customers["revenue_minor"])
    out["group"] = [rfm_group(r, f) for r, f in zip(out["r"], out["f"], strict=True)]
    return out


def rfm_group(r: int, f: int) -> str:
    if r == 3 and f == 3:
        return "champions"
    if r == 1:
        return "at_risk" if f >= 2 else "lost"
    if f == 3:
        return "loyal"
    if r == 3 and f == 1:
        return "new"
    return "promising"


def lifetime_value(
    revenue_minor: int, purchases: int, member_months: int, buyers: int, returned: int, floor: int
) -> dict:
    """LTV = average check x purchases per active month x expected active months,
    where the expected active months are 1 / (1 - r) for the month-to-month
    retention r (a geometric lifetime), r capped at 0.95."""
    check = ratio(revenue_minor, purchases, floor)
    per_month = ratio(purchases, member_months, floor)
    retention = ratio(returned, buyers, floor)
    if check is None or per_month is None or retention is None:
        return {
            "average_check_minor": check,
            "per_month": per_month,
            "retention": retention,
            "lifetime_months": None,
            "ltv_minor": None,
        }
    months = 1.0 / (1.0 - min(retention, RETENTION_CAP))
    return {
        "average_check_minor": round(check),
        "per_month": round(per_month, 2),
        "retention": round(retention, 3),
        "lifetime_months": round(months, 1),
        "ltv_minor": round(check * per_month * months),
    }


def percentile_rank(value: float, others: list[float]) -> float | None:
    """Share of ``others`` below ``value`` (ties count half), in percent."""
    if not others or value is None or math.isnan(value):
        return None
    below = sum(1 for other in others if other < value)
    equal = sum(1 for other in others if other == value)
    return round(100.0 * (below + 0.5 * equal) / len(others), 1)
