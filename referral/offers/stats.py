"""A partner's numbers for one company: members, leads and their conversion to
payment, ARPPU, average check and month-to-month retention.

Definitions (all over the company's whole history, reversed purchases left out):

* members: consenting members who joined through the company's QR code;
* leads: leads delivered to the company (delivered, won or lost: the member
  accepted its offer, so the partner learned of them); a lead *converts* when
  that member bought that service at or after the lead's time;
* ARPPU: revenue / members who paid at least once; average check: revenue /
  purchases;
* retention: of the members who bought in one calendar month (in the bank's
  TIMEZONE: a purchase at 00:30 on the 1st in Moscow belongs to that month,
  not to the previous one as in UTC), the share who bought again in the next;
  only pairs whose second month has ended count, and the overall figure pools
  every such pair.

A count under ``floor`` (MIN_AUDIENCE) is never given exactly, so a partner
cannot single a person out: it is reported hidden ("fewer than N"), a share of
a hidden part only as an upper bound, and a share or average over a hidden base
not at all. Under a floor of 1 a hidden count can only be 0, which hides
nobody: words, charts and shares give it (``exact``), while the count keeps its
``hidden`` flag for the HTTP API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.companies import by_code
from referral.leads.states import VISIBLE_TO_PARTNER
from referral.ledger.activity_models import Purchase
from referral.models import Company, Member
from referral.offers.models import Lead

LEAD_COLUMNS = ["lead", "member_id", "service_id", "created"]
PURCHASE_COLUMNS = ["member_id", "service_id", "at", "amount_minor"]


def exact(value: int, floor: int) -> bool:
    """Whether a count may be given as it is: at or over the floor, or under a floor
    of 1, where it can only be 0 ("fewer than 1" says that anyway)."""
    return value >= floor or floor <= 1


@dataclass(frozen=True)
class Count:
    value: int
    floor: int

    @property
    def hidden(self) -> bool:
        return self.value < self.floor

    @property
    def readable(self) -> bool:
        """Whether words and charts may give the value (see ``exact``)."""
        return exact(self.value, self.floor)


@dataclass(frozen=True)
class Share:
    """part / whole: ``value`` when both are shown; ``under`` (an upper bound)
    when only the part is hidden; neither when the whole is hidden, or when
    the whole is a shown 0 (``empty``: nothing to divide, so no percentage,
    and no one to protect either)."""

    value: float | None = None
    under: float | None = None
    empty: bool = False


def share(part: int, whole: int, floor: int) -> Share:
    """part / whole under the floor rule that counts follow (``exact``)."""
    if not exact(whole, floor):
        return Share()
    if whole == 0:
        return Share(empty=True)
    if not exact(part, floor):
        return Share(under=floor / whole)
    return Share(value=part / whole)


@dataclass(frozen=True)
class MonthPair:
    month: str  # buyers of this month ("2026-06") ...
    next_month: str  # ... who bought again in this one
    buyers: Count
    returned: Count
    retention: Share


@dataclass(frozen=True)
class CompanyStats:
    company: str
    floor: int
    members: Count
    leads: Count
    converted: Count
    conversion: Share
    payers: Count
    purchases: Count
    arppu_minor: int | None  # None: fewer payers than the floor
    average_check_minor: int | None  # None: fewer purchases than the floor
    retention: Share
    months: list[MonthPair]


def compute(
    company: str,
    members: int,
    leads: pd.DataFrame,
    purchases: pd.DataFrame,
    now: datetime,
    floor: int,
    zone: tzinfo = UTC,
) -> CompanyStats:
    """The numbers from plain frames (``LEAD_COLUMNS``, ``PURCHASE_COLUMNS``; times aware);
    calendar months are those of ``zone``."""
    both = leads.merge(purchases, on=["member_id", "service_id"], how="inner")
    converted = int(both.loc[both["at"] >= both["created"], "lead"].nunique())
    payers = int(purchases["member_id"].nunique())
    revenue = int(purchases["amount_minor"].sum())
    n_purchases = len(purchases)
    months = _month_pairs(purchases, now, floor, zone)
    pooled_buyers = sum(p.buyers.value for p in months)
    pooled_returned = sum(p.returned.value for p in months)
    return CompanyStats(
        company=company,
        floor=floor,
        members=Count(members, floor),
        leads=Count(len(leads), floor),
        converted=Count(converted, floor),
        conversion=share(converted, len(leads), floor),
        payers=Count(payers, floor),
        purchases=Count(n_purchases, floor),
        arppu_minor=round(revenue / payers) if payers >= floor and payers else None,
        average_check_minor=(
            round(revenue / n_purchases) if n_purchases >= floor and n_purchases else None
        ),
        retention=share(pooled_returned, pooled_buyers, floor),
        months=months,
    )


def _month_pairs(
    purchases: pd.DataFrame, now: datetime, floor: int, zone: tzinfo
) -> list[MonthPair]:
    if purchases.empty:
        return []
    local = pd.to_datetime(purchases["at"], utc=True).dt.tz_convert(zone).dt.tz_localize(None)
    buyers = purchases.groupby(local.dt.to_period("M"))["member_id"].agg(set)
    current = pd.Period(now.astimezone(zone).replace(tzinfo=None), "M")
    out = []
    for m in pd.period_range(buyers.index.min(), current - 2, freq="M"):
        these = buyers.get(m, set())
        if not these:
            continue
        returned = len(these & buyers.get(m + 1, set()))
        out.append(
            MonthPair(
                str(m),
                str(m + 1),
                Count(len(these), floor),
                Count(returned, floor),
                share(returned, len(these), floor),
            )
        )
    return out


class PartnerStats:
    def __init__(
        self, db: async_sessionmaker[AsyncSession], floor: int, zone: tzinfo = UTC
    ) -> None:
        self.db = db
        self.floor = floor
        self.zone = zone

    async def of_company(self, company_id: int, now: datetime | None = None) -> CompanyStats:
        async with self.db() as session:
            company = await session.get(Company, company_id)
            assert company is not None, company_id
            return await self._load(session, company, now or datetime.now(UTC))

    async def of_code(self, code: str, now: datetime | None = None) -> CompanyStats:
        """Raises UnknownCompany."""
        async with self.db() as session:
            company = await by_code(session, code)
            return await self._load(session, company, now or datetime.now(UTC))

    async def _load(self, session: AsyncSession, company: Company, now: datetime) -> CompanyStats:
        members = await session.scalar(
            select(func.count()).where(Member.company_id == company.id, Member.erased_at.is_(None))
        )
        leads = await _frame(
            session,
            select(Lead.id, Lead.member_id, Lead.service_id, Lead.created_at).where(
                Lead.company_id == company.id, Lead.status.in_(VISIBLE_TO_PARTNER)
            ),
            LEAD_COLUMNS,
            "created",
        )
        purchases = await _frame(
            session,
            select(
                Purchase.member_id,
                Purchase.service_id,
                Purchase.purchased_at,
                Purchase.amount_minor,
            ).where(Purchase.company_id == company.id, Purchase.status == "completed"),
            PURCHASE_COLUMNS,
            "at",
        )
        return compute(
            company.name, int(members or 0), leads, purchases, now, self.floor, self.zone
        )


async def _frame(
    session: AsyncSession, query: Select, columns: list[str], time_column: str
) -> pd.DataFrame:
    frame = pd.DataFrame((await session.execute(query)).all(), columns=columns)
    # SQLite hands back naive datetimes for timezone-aware columns; they are UTC.
    frame[time_column] = pd.to_datetime(frame[time_column], utc=True)
    return frame
