"""A company against the partners of its category, as percentiles.

A company's category is the category most of its active catalogue has. The
comparison is given only when the category has at least ``MIN_PEERS``
partners (the company included), and it never names another partner: each
figure is the share of the other partners whose value is lower (ties half).

Figures over the last 90 days: average check, purchases per buyer, revenue
growth against the 90 days before; retention is the pooled month-to-month
retention of the last six complete months.
"""

from __future__ import annotations

import pandas as pd

from referral.analytics.days import month_of_day
from referral.analytics.figures import month_retention, percentile_rank

MIN_PEERS = 5
WINDOW = 90
METRICS = ("average_check", "frequency", "retention", "growth")


def company_metrics(days: pd.DataFrame, today: int) -> dict[str, float | None]:
    """``days`` of one company: member_id, day, month, purchases, revenue_minor."""
    recent = days[days["day"] > today - WINDOW]
    before = days[(days["day"] > today - 2 * WINDOW) & (days["day"] <= today - WINDOW)]
    purchases = int(recent["purchases"].sum())
    buyers = int(recent["member_id"].nunique())
    current = month_of_day(today)
    months = days[days["month"] >= current - 7][["member_id", "month"]].drop_duplicates()
    pairs, returned = month_retention(months, current)
    revenue_before = float(before["revenue_minor"].sum())
    return {
        "average_check": float(recent["revenue_minor"].sum()) / purchases if purchases else None,
        "frequency": purchases / buyers if buyers else None,
        "retention": returned / pairs if pairs else None,
        "growth": (
            float(recent["revenue_minor"].sum()) / revenue_before - 1.0 if revenue_before else None
        ),
    }


def compare(
    metrics: dict[int, dict[str, float | None]], categories: dict[int, str | None], company_id: int
) -> dict:
    """Percentiles of ``company_id`` among its category, or why there are none."""
    category = categories.get(company_id)
    peers = [c for c, cat in categories.items() if cat == category and c != company_id]
    if category is None or len(peers) + 1 < MIN_PEERS:
        return {"category": category, "partners": len(peers) + 1, "percentiles": None}
    own = metrics.get(company_id, {})
    percentiles = {}
    for metric in METRICS:
        others = [metrics[c][metric] for c in peers if metrics.get(c, {}).get(metric) is not None]
        value = own.get(metric)
        percentiles[metric] = (
            percentile_rank(value, others)
            if value is not None and len(others) + 1 >= MIN_PEERS
            else None
        )
    return {"category": category, "partners": len(peers) + 1, "percentiles": percentiles}
