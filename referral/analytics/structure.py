"""Client structure of one company: bands members chose to give, RFM groups,
regulars, seasonality, the most profitable segments and their lifetime value."""

from __future__ import annotations

import pandas as pd

from referral.analytics.days import month_of_day
from referral.analytics.figures import (
    RFM_GROUPS,
    lifetime_value,
    month_retention,
    ratio,
    rfm,
    shown,
)

BANDS = ("age_band", "income_band", "region")
NOT_GIVEN = "—"
REGULAR_MONTHS, REGULAR_OF = 3, 6  # bought in at least 3 of the last 6 months


def _groups(customers: pd.DataFrame, key: pd.Series, floor: int, order=None) -> list[dict]:
    table = customers.groupby(key).agg(
        members=("member_id", "size"),
        revenue_minor=("revenue_minor", "sum"),
        purchases=("purchases", "sum"),
    )
    total = float(customers["revenue_minor"].sum()) or 1.0
    names = order if order is not None else sorted(table.index, key=str)
    rows = []
    for name in names:
        if name not in table.index:
            continue
        members = int(table.loc[name, "members"])
        visible = members >= floor
        rows.append(
            {
                "group": str(name),
                "members": shown(members, floor),
                "revenue_minor": int(table.loc[name, "revenue_minor"]) if visible else None,
                "revenue_share": (
                    round(float(table.loc[name, "revenue_minor"]) / total, 3) if visible else None
                ),
                "average_check_minor": (
                    round(table.loc[name, "revenue_minor"] / table.loc[name, "purchases"])
                    if visible
                    else None
                ),
            }
        )
    return rows


def bands(customers: pd.DataFrame, profile: pd.DataFrame, floor: int) -> dict[str, list[dict]]:
    """Per band the members, revenue and its share; ``profile`` is indexed by member_id."""
    joined = customers.join(profile, on="member_id")
    return {band: _groups(joined, joined[band].fillna(NOT_GIVEN), floor) for band in BANDS}


def rfm_table(customers: pd.DataFrame, today: int, floor: int) -> list[dict]:
    groups = rfm(customers, today).set_index("member_id")["group"]
    keyed = customers.join(groups, on="member_id")
    return _groups(keyed, keyed["group"], floor, order=RFM_GROUPS)


def regulars(days: pd.DataFrame, today: int, floor: int) -> int | None:
    current = month_of_day(today)
    recent = days[days["month"] > current - REGULAR_OF][["member_id", "month"]].drop_duplicates()
    count = int((recent.groupby("member_id").size() >= REGULAR_MONTHS).sum())
    return shown(count, floor)


def seasonality(days: pd.DataFrame, today: int, floor: int) -> dict[str, list[dict]]:
    """Revenue and purchases by weekday (Monday first) and by calendar month,
    over the last 365 days."""
    year = days[days["day"] > today - 365]
    weekday = (year["day"] + 3) % 7
    calendar_month = year["month"] % 12 + 1

    def table(key: pd.Series, keys: range) -> list[dict]:
        grouped = year.groupby(key).agg(
            revenue_minor=("revenue_minor", "sum"),
            purchases=("purchases", "sum"),
            buyers=("member_id", "nunique"),
        )
        out = []
        for value in keys:
            row = grouped.loc[value] if value in grouped.index else None
            buyers = int(row["buyers"]) if row is not None else 0
            visible = buyers >= floor
            out.append(
                {
                    "key": value,
                    "revenue_minor": int(row["revenue_minor"]) if visible else None,
                    "purchases": int(row["purchases"]) if visible else None,
                }
            )
        return out

    return {"weekday": table(weekday, range(7)), "month": table(calendar_month, range(1, 13))}


def segment_values(
    days: pd.DataFrame, labels: pd.Series, names: dict[int, dict], today: int, floor: int
) -> list[dict]:
    """Per segment: size, revenue and its share, and the lifetime value
    (see :func:`referral.analytics.figures.lifetime_value`), most revenue first."""
    current = month_of_day(today)
    keyed = days.join(labels.rename("segment"), on="member_id")
    total = float(days["revenue_minor"].sum()) or 1.0
    rows = []
    for number, inside in keyed.groupby("segment"):
        size = int(inside["member_id"].nunique())
        months = inside[["member_id", "month"]].drop_duplicates()
        buyers, returned = month_retention(months, current)
        value = lifetime_value(
            int(inside["revenue_minor"].sum()),
            int(inside["purchases"].sum()),
            len(months),
            buyers,
            returned,
            floor,
        )
        visible = size >= floor
        rows.append(
            {
                "segment": int(number),
                "names": names[int(number)],
                "members": shown(size, floor),
                "revenue_minor": int(inside["revenue_minor"].sum()) if visible else None,
                "revenue_share": (
                    round(float(inside["revenue_minor"].sum()) / total, 3) if visible else None
                ),
                **(value if visible else {key: None for key in value}),
            }
        )
    return sorted(rows, key=lambda row: -(row["revenue_minor"] or -1))


def company_retention(days: pd.DataFrame, today: int, floor: int) -> float | None:
    buyers, returned = month_retention(
        days[["member_id", "month"]].drop_duplicates(), month_of_day(today)
    )
    return ratio(returned, buyers, floor)
