"""The analytics job: per company, the heavy figures computed once from the
rollup and kept as one JSON row, so a workspace request reads a row by key.

``compute`` is pure (frames in, a JSON-ready dict out); ``Snapshots.rebuild``
loads the frames, calls it for every company and stores the results.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.analytics import churn, insights, peers, segments, structure
from referral.analytics.days import day_number, month_of_day, week_of_day
from referral.analytics.figures import cohorts, shown
from referral.analytics.funnel import Funnel, load_funnel
from referral.analytics.models import Customer, MemberDay, Snapshot
from referral.analytics.words import LANGUAGES
from referral.ledger.catalogue_models import Service
from referral.models import Company, Member

log = logging.getLogger(__name__)
DAY_COLUMNS = ["member_id", "day", "month", "purchases", "revenue_minor"]
CUSTOMER_COLUMNS = ["member_id", "first_day", "last_day", "visits", "purchases", "revenue_minor"]
PEER_HISTORY = 215  # days: two 90-day windows, and seven months for retention


@dataclass(frozen=True)
class CompanyData:
    days: pd.DataFrame  # DAY_COLUMNS
    customers: pd.DataFrame  # CUSTOMER_COLUMNS
    profile: pd.DataFrame  # index member_id: age_band, income_band, region
    funnel: Funnel


def bands_texts(profile: pd.DataFrame) -> dict[int, str]:
    """Member id -> the bands they gave ("25-34 · 50-100k · Казань"), never an id."""
    texts: dict[int, str] = {}
    for member, *bands in profile[list(structure.BANDS)].itertuples(name=None):
        given = [str(b) for b in bands if isinstance(b, str)]
        texts[int(member)] = " · ".join(given) or structure.NOT_GIVEN
    return texts


def compute(data: CompanyData, today: int, floor: int, peer_figures: dict) -> dict:
    days, customers, profile = data.days, data.customers, data.profile
    bands_of = bands_texts(profile)
    body: dict = {"today": today, "floor": floor, "peers": peer_figures}
    body["cohorts"] = cohorts(days, month_of_day(today), floor)
    body["structure"] = {
        "customers": shown(len(customers), floor),
        "bands": structure.bands(customers, profile, floor),
        "rfm": structure.rfm_table(customers, today, floor) if len(customers) else [],
        "regulars": structure.regulars(days, today, floor),
        "seasonality": structure.seasonality(days, today, floor),
        "retention": structure.company_retention(days, today, floor),
    }
    features = segments.behaviour(customers, today) if len(customers) else pd.DataFrame()
    fitted = segments.fit(features, floor) if len(features) else None
    segment_names: dict[int, dict] = {}
    labels = pd.Series(dtype="int64")
    if fitted is None:
        body["segments"] = {"skipped": "too few members to segment", "profiles": [], "points": []}
    else:
        labels, profiles = fitted
        segment_names = {p["segment"]: p["names"] for p in profiles}
        small = {p["segment"] for p in profiles if p["size"] < floor}
        for profile_row in profiles:
            if profile_row["segment"] in small:
                profile_row.update(size=None, **{f: None for f in segments.SEGMENT_FEATURES})
        # A segment under the floor shows no points either: a point is one member.
        sample = segments.points(features, labels[~labels.isin(small)])
        body["segments"] = {
            "profiles": profiles,
            "values": structure.segment_values(days, labels, segment_names, today, floor),
            "points": [
                [
                    round(row.frequency, 3),
                    round(row.avg_amount, 2),
                    int(row.segment),
                    bands_of.get(int(member), structure.NOT_GIVEN),
                ]
                for member, row in sample.iterrows()
            ],
        }
    risk = churn.at_risk(days, today, floor) if len(days) else {"members": []}
    for entry in risk.get("members", []):
        member = entry.pop("member_id")
        entry["bands"] = bands_of.get(int(member), structure.NOT_GIVEN)
        number = labels.get(member)
        entry["segment"] = segment_names.get(int(number)) if number is not None else None
    body["churn"] = risk
    named = labels.map(lambda n: segment_names[int(n)]["en"]) if len(labels) else labels
    found = (
        insights.find(
            days, customers.set_index("member_id")["first_day"], named, week_of_day(today), floor
        )
        if len(days)
        else []
    )
    body["insights"] = [
        {
            "metric": item.metric,
            "change": round(item.change, 4),
            "current": item.current,
            "baseline": item.baseline,
            "words": {lang: _localised(item, lang, segment_names) for lang in LANGUAGES},
        }
        for item in found
    ]
    body["funnel"] = data.funnel.as_dict(days, today, floor)
    return body


def _localised(item: insights.Insight, language: str, names: dict[int, dict]) -> str:
    by_english = {n["en"]: n[language] for n in names.values()}
    segment = by_english.get(item.segment) if item.segment else None
    return insights.Insight(item.metric, item.current, item.baseline, item.change, segment).words(
        language
    )


class Snapshots:
    def __init__(self, db: async_sessionmaker[AsyncSession], floor: int, zone: tzinfo) -> None:
        self.db = db
        self.floor = floor
        self.zone = zone

    async def rebuild(self, now: datetime | None = None) -> int:
        """Recompute every company's snapshot; returns how many were written."""
        now = now or datetime.now(UTC)
        today = day_number(now, self.zone)
        async with self.db() as session:
            companies = list((await session.scalars(select(Company.id).order_by(Company.id))).all())
            categories = await _categories(session)
            recent = await _frame(
                session,
                select(MemberDay.company_id, *_day_columns()).where(
                    MemberDay.day > today - PEER_HISTORY
                ),
                ["company_id", *DAY_COLUMNS],
            )
        metrics = {
            int(company): peers.company_metrics(frame, today)
            for company, frame in recent.groupby("company_id")
        }
        written = 0
        for company_id in companies:
            async with self.db() as session:
                data = await _company_data(session, company_id)
            peer_figures = peers.compare(metrics, categories, company_id)
            body = await asyncio.to_thread(compute, data, today, self.floor, peer_figures)
            async with self.db.begin() as session:
                await session.execute(delete(Snapshot).where(Snapshot.company_id == company_id))
                session.add(Snapshot(company_id=company_id, body=json.dumps(body), computed_at=now))
            written += 1
        log.info("analytics snapshots rebuilt for %s companies", written)
        return written


def _day_columns():  # type: ignore[no-untyped-def]
    return (
        MemberDay.member_id,
        MemberDay.day,
        MemberDay.month,
        MemberDay.purchases,
        MemberDay.revenue_minor,
    )


async def _frame(session: AsyncSession, query, columns: list[str]) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return pd.DataFrame((await session.execute(query)).all(), columns=columns)


async def _categories(session: AsyncSession) -> dict[int, str | None]:
    rows = (
        await session.execute(
            select(Service.company_id, Service.category, func.count())
            .where(Service.active.is_(True))
            .group_by(Service.company_id, Service.category)
        )
    ).all()
    best: dict[int, tuple[int, str]] = {}
    for company_id, category, count in rows:
        if company_id not in best or (count, category) > best[company_id]:
            best[company_id] = (count, category)
    return {company: category for company, (_, category) in best.items()}


async def _company_data(session: AsyncSession, company_id: int) -> CompanyData:
    days = await _frame(
        session, select(*_day_columns()).where(MemberDay.company_id == company_id), DAY_COLUMNS
    )
    customers = await _frame(
        session,
        select(
            Customer.member_id,
            Customer.first_day,
            Customer.last_day,
            Customer.visits,
            Customer.purchases,
            Customer.revenue_minor,
        ).where(Customer.company_id == company_id),
        CUSTOMER_COLUMNS,
    )
    profile = await _frame(
        session,
        select(Member.id, Member.age_band, Member.income_band, Member.region)
        .join(Customer, Customer.member_id == Member.id)
        .where(Customer.company_id == company_id, Member.erased_at.is_(None)),
        ["member_id", *structure.BANDS],
    )
    return CompanyData(
        days, customers, profile.set_index("member_id"), await load_funnel(session, company_id)
    )
