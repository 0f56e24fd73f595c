"""What the workspace asks: the figures of one company, read by key.

The time series come from indexed SQL on the rollup (company and day range);
everything heavier comes from the company's snapshot row. Nothing here reads
the purchases table, so a request costs the same at a million purchases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.analytics.days import date_of, day_of, month_label, week_start
from referral.analytics.figures import ratio, shown
from referral.analytics.models import Customer, MemberDay, Snapshot
from referral.errors import DomainError

GRANULARITIES = ("day", "week", "month")
MAX_SPAN_DAYS = 3 * 366


class InvalidPeriod(DomainError):
    """The period ends before it starts, or spans more than three years."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    @classmethod
    def checked(cls, start: date, end: date) -> Period:
        if end < start:
            raise InvalidPeriod("the period ends before it starts")
        if (end - start).days > MAX_SPAN_DAYS:
            raise InvalidPeriod("a period spans at most three years")
        return cls(start, end)


def _bucket(column, granularity: str):  # type: ignore[no-untyped-def]
    if granularity == "week":
        return (column + 3) // 7
    return column


def _label(bucket: int, granularity: str) -> str:
    if granularity == "month":
        return month_label(bucket)
    day = week_start(bucket) if granularity == "week" else bucket
    return date_of(day).isoformat()


def _split_sums(inside):  # type: ignore[no-untyped-def]
    """Purchases, revenue and distinct buyers of the member-days where ``inside`` holds."""
    return (
        func.sum(case((inside, MemberDay.purchases), else_=0)),
        func.sum(case((inside, MemberDay.revenue_minor), else_=0)),
        func.count(func.distinct(case((inside, MemberDay.member_id)))),
    )


def change(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None or previous == 0:
        return None
    return round(current / previous - 1.0, 4)


class WorkspaceAnalytics:
    def __init__(self, db: async_sessionmaker[AsyncSession], floor: int, zone: tzinfo) -> None:
        self.db = db
        self.floor = floor
        self.zone = zone

    def today(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()

    async def overview(self, company_id: int, period: Period, granularity: str) -> dict:
        """Revenue, purchases, buyers, new and returning, average check and
        purchases per buyer per bucket, with the totals against the previous
        period of the same length. A bucket with fewer buyers than the floor
        shows nothing."""
        floor = self.floor
        async with self.db() as session:
            rows = await self._series(session, company_id, period, granularity)
            new = await self._new(session, company_id, period, granularity)
            current, previous = await self._totals(session, company_id, period)
        series = []
        for bucket, purchases, revenue, buyers in rows:
            visible = buyers >= floor
            fresh = new.get(bucket, 0)
            series.append(
                {
                    "bucket": _label(bucket, granularity),
                    "revenue_minor": int(revenue) if visible else None,
                    "purchases": int(purchases) if visible else None,
                    "buyers": shown(buyers, floor),
                    "new": shown(fresh, floor) if visible else None,
                    "returning": shown(buyers - fresh, floor) if visible else None,
                    "average_check_minor": round(revenue / purchases) if visible else None,
                    "frequency": round(purchases / buyers, 3) if visible else None,
                }
            )
        totals = {
            key: {
                "current": current[key],
                "previous": previous[key],
                "change": change(current[key], previous[key]),
            }
            for key in current
        }
        return {
            "granularity": granularity,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "floor": floor,
            "series": series,
            "totals": totals,
        }

    async def _series(self, session: AsyncSession, company_id: int, period: Period, grain: str):  # type: ignore[no-untyped-def]
        bucket = _bucket(MemberDay.month if grain == "month" else MemberDay.day, grain)
        return (
            await session.execute(
                select(
                    bucket,
                    func.sum(MemberDay.purchases),
                    func.sum(MemberDay.revenue_minor),
                    func.count(func.distinct(MemberDay.member_id)),
                )
                .where(
                    MemberDay.company_id == company_id,
                    MemberDay.day >= day_of(period.start),
                    MemberDay.day <= day_of(period.end),
                )
                .group_by(bucket)
                .order_by(bucket)
            )
        ).all()

    async def _new(
        self, session: AsyncSession, company_id: int, period: Period, grain: str
    ) -> dict[int, int]:
        first = Customer.first_day
        if grain == "month":
            # A month's number from a day needs the calendar: group by day, fold below.
            rows = await self._new_by(session, company_id, period, first)
            out: dict[int, int] = {}
            for day, count in rows:
                value = date_of(int(day))
                month = value.year * 12 + value.month - 1
                out[month] = out.get(month, 0) + int(count)
            return out
        return {
            int(b): int(c)
            for b, c in await self._new_by(session, company_id, period, _bucket(first, grain))
        }

    async def _new_by(self, session: AsyncSession, company_id: int, period: Period, bucket):  # type: ignore[no-untyped-def]
        return (
            await session.execute(
                select(bucket, func.count())
                .where(
                    Customer.company_id == company_id,
                    Customer.first_day >= day_of(period.start),
                    Customer.first_day <= day_of(period.end),
                )
                .group_by(bucket)
            )
        ).all()

    async def _totals(
        self, session: AsyncSession, company_id: int, period: Period
    ) -> tuple[dict, dict]:
        """The period's totals and the previous period's, each in one scan of both."""
        earlier = period.previous()
        split = day_of(period.start)
        days = (
            await session.execute(
                select(
                    *_split_sums(MemberDay.day >= split), *_split_sums(MemberDay.day < split)
                ).where(
                    MemberDay.company_id == company_id,
                    MemberDay.day >= day_of(earlier.start),
                    MemberDay.day <= day_of(period.end),
                )
            )
        ).one()
        recent = Customer.first_day >= split
        new_now, new_before = (
            await session.execute(
                select(func.count(case((recent, 1))), func.count(case((~recent, 1)))).where(
                    Customer.company_id == company_id,
                    Customer.first_day >= day_of(earlier.start),
                    Customer.first_day <= day_of(period.end),
                )
            )
        ).one()
        return self._summary(*days[:3], new_now), self._summary(*days[3:], new_before)

    def _summary(self, purchases: int | None, revenue: int | None, buyers: int, new: int) -> dict:
        purchases, revenue = int(purchases or 0), int(revenue or 0)
        visible = buyers >= self.floor
        return {
            "revenue_minor": revenue if visible else None,
            "purchases": purchases if visible else None,
            "buyers": shown(int(buyers), self.floor),
            "new": shown(int(new or 0), self.floor),
            "average_check_minor": (round(revenue / purchases) if visible and purchases else None),
            "frequency": round(ratio(purchases, buyers, self.floor) or 0, 3) if visible else None,
        }

    async def snapshot(self, company_id: int) -> dict | None:
        """The company's last computed figures, or None before the first job run."""
        async with self.db() as session:
            row = await session.get(Snapshot, company_id)
        if row is None:
            return None
        body = json.loads(row.body)
        body["computed_at"] = row.computed_at.isoformat()
        return body
