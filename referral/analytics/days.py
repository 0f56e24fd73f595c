"""Local days and months as integers, the way the rollup tables store them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

EPOCH = date(1970, 1, 1)
# 1970-01-01 was a Thursday: adding 3 makes integer weeks start on Mondays.
MONDAY_SHIFT = 3


def day_number(moment: datetime, zone: tzinfo) -> int:
    """Days since 1970-01-01 of the local date of ``moment`` (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment.astimezone(zone).date() - EPOCH).days


def day_of(value: date) -> int:
    return (value - EPOCH).days


def date_of(day: int) -> date:
    return EPOCH + timedelta(days=day)


def month_number(value: date) -> int:
    return value.year * 12 + value.month - 1


def month_of_day(day: int) -> int:
    return month_number(date_of(day))


def month_label(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def week_of_day(day: int) -> int:
    return (day + MONDAY_SHIFT) // 7


def week_start(week: int) -> int:
    """The day number of the Monday that starts integer week ``week``."""
    return week * 7 - MONDAY_SHIFT


def month_start(month: int) -> int:
    return day_of(date(month // 12, month % 12 + 1, 1))
