"""The daily per-company-per-member rollup, refreshed incrementally.

A refresh reads only the purchases added since the last one (by id) and those
reversed since (by ``reversed_at``), and recomputes exactly the (company,
member, day) rows and (company, member) customers they touch, from all of
those members' completed purchases. Recomputing instead of adding makes a
refresh idempotent: running it twice, or after a crash, changes nothing.
The first refresh (nothing read yet) builds everything in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

import pandas as pd
from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.analytics.days import EPOCH
from referral.analytics.models import Customer, MemberDay, RollupState
from referral.ledger.activity_models import Purchase

STATE = "purchases"
MEMBER_BATCH = 500
INSERT_BATCH = 5000
# Clocks of two processes may differ a little; recomputing a row twice is harmless.
REVERSAL_MARGIN = timedelta(minutes=5)
DAY_COLUMNS = ["company_id", "day", "member_id", "month", "purchases", "revenue_minor"]
CUSTOMER_COLUMNS = [
    "company_id",
    "member_id",
    "first_day",
    "last_day",
    "visits",
    "purchases",
    "revenue_minor",
]


@dataclass(frozen=True)
class RefreshReport:
    purchases_read: int
    member_days: int
    customers: int
    full: bool


def local_days(moments: pd.Series, zone: tzinfo) -> tuple[pd.Series, pd.Series]:
    """(day number, month number) of each moment's local date in ``zone``."""
    local = pd.to_datetime(moments, utc=True).dt.tz_convert(zone).dt.tz_localize(None)
    day = (local.dt.normalize() - pd.Timestamp(EPOCH)).dt.days.astype("int64")
    month = (local.dt.year * 12 + local.dt.month - 1).astype("int64")
    return day, month


def aggregate(purchases: pd.DataFrame, zone: tzinfo) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Member-days and customers from completed purchases
    (company_id, member_id, at, amount_minor)."""
    if purchases.empty:
        return pd.DataFrame(columns=DAY_COLUMNS), pd.DataFrame(columns=CUSTOMER_COLUMNS)
    day, month = local_days(purchases["at"], zone)
    frame = purchases.assign(day=day, month=month)
    days = (
        frame.groupby(["company_id", "day", "member_id"], sort=False)
        .agg(
            month=("month", "first"),
            purchases=("amount_minor", "size"),
            revenue_minor=("amount_minor", "sum"),
        )
        .reset_index()
    )
    customers = (
        days.groupby(["company_id", "member_id"], sort=False)
        .agg(
            first_day=("day", "min"),
            last_day=("day", "max"),
            visits=("day", "size"),
            purchases=("purchases", "sum"),
            revenue_minor=("revenue_minor", "sum"),
        )
        .reset_index()
    )
    return days[DAY_COLUMNS], customers[CUSTOMER_COLUMNS]


class Rollup:
    def __init__(self, db: async_sessionmaker[AsyncSession], zone: tzinfo) -> None:
        self.db = db
        self.zone = zone

    async def refresh(self, now: datetime | None = None) -> RefreshReport:
        """Bring the rollup up to the newest purchase (one transaction)."""
        now = now or datetime.now(UTC)
        async with self.db.begin() as session:
            state = await session.get(RollupState, STATE, with_for_update=True)
            if state is None:
                report = await self._build_all(session)
                state = RollupState(name=STATE, purchase_id=0, refreshed_at=now)
                session.add(state)
            else:
                report = await self._catch_up(session, state)
            newest = await session.scalar(select(Purchase.id).order_by(Purchase.id.desc()).limit(1))
            state.purchase_id = max(state.purchase_id, int(newest or 0))
            state.refreshed_at = now
        return report

    async def _build_all(self, session: AsyncSession) -> RefreshReport:
        purchases = await _purchases(session, Purchase.status == "completed")
        days, customers = aggregate(purchases, self.zone)
        await session.execute(delete(MemberDay))
        await session.execute(delete(Customer))
        await _insert(session, MemberDay, days)
        await _insert(session, Customer, customers)
        return RefreshReport(len(purchases), len(days), len(customers), full=True)

    async def _catch_up(self, session: AsyncSession, state: RollupState) -> RefreshReport:
        since = state.refreshed_at
        if since.tzinfo is None:  # SQLite hands back naive UTC
            since = since.replace(tzinfo=UTC)
        touched = await _purchases(
            session,
            (Purchase.id > state.purchase_id) | (Purchase.reversed_at >= since - REVERSAL_MARGIN),
        )
        if touched.empty:
            return RefreshReport(0, 0, 0, full=False)
        touched_days = aggregate(touched.assign(amount_minor=0), self.zone)[0]
        day_keys = set(_keyed(touched_days, ["company_id", "day", "member_id"]))
        pair_keys = {(company, member) for company, _, member in day_keys}
        members = sorted({member for _, member in pair_keys})
        n_days = n_customers = 0
        for start in range(0, len(members), MEMBER_BATCH):
            batch = members[start : start + MEMBER_BATCH]
            history = await _purchases(
                session, (Purchase.status == "completed") & Purchase.member_id.in_(batch)
            )
            days, customers = aggregate(history, self.zone)
            batch_set = set(batch)
            these_days = [key for key in day_keys if key[2] in batch_set]
            these_pairs = [key for key in pair_keys if key[1] in batch_set]
            days = days[_keyed(days, ["company_id", "day", "member_id"]).isin(these_days)]
            customers = customers[_keyed(customers, ["company_id", "member_id"]).isin(these_pairs)]
            await session.execute(
                delete(MemberDay).where(
                    tuple_(MemberDay.company_id, MemberDay.day, MemberDay.member_id).in_(these_days)
                )
            )
            await session.execute(
                delete(Customer).where(
                    tuple_(Customer.company_id, Customer.member_id).in_(these_pairs)
                )
            )
            await _insert(session, MemberDay, days)
            await _insert(session, Customer, customers)
            n_days, n_customers = n_days + len(days), n_customers + len(customers)
        return RefreshReport(len(touched), n_days, n_customers, full=False)


def _keyed(frame: pd.DataFrame, columns: list[str]) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(frame[columns])


async def _purchases(session: AsyncSession, condition) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    rows = (
        await session.execute(
            select(
                Purchase.company_id,
                Purchase.member_id,
                Purchase.purchased_at,
                Purchase.amount_minor,
            ).where(condition)
        )
    ).all()
    return pd.DataFrame(rows, columns=["company_id", "member_id", "at", "amount_minor"])


async def _insert(session: AsyncSession, table: type, frame: pd.DataFrame) -> None:
    records = [
        {column: int(value) for column, value in row.items()} for row in frame.to_dict("records")
    ]
    for start in range(0, len(records), INSERT_BATCH):
        await session.execute(table.__table__.insert(), records[start : start + INSERT_BATCH])
