"""The weekly insights message: each company's snapshot insights, for its
partner admins, claimed once per ISO week.

The claim is a ``partner_notices`` row (company, ``insights-YYYY-Www``)
inserted before anything is sent: its primary key lets one process win when
several run the job, and a second run in the same week finds nothing to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.analytics.models import Snapshot
from referral.ledger.activity_models import PartnerNotice
from referral.models import Company
from referral.roles import partner_admins


@dataclass(frozen=True)
class WeeklyNote:
    telegram_id: int
    language: str
    company: str
    lines: list[str]


def week_topic(now: datetime, zone: tzinfo) -> str:
    year, week, _ = now.astimezone(zone).isocalendar()
    return f"insights-{year}-W{week:02d}"


class WeeklyInsights:
    def __init__(self, db: async_sessionmaker[AsyncSession], zone: tzinfo) -> None:
        self.db = db
        self.zone = zone

    async def claim(self, now: datetime | None = None) -> list[WeeklyNote]:
        """The notes to send this week, each company claimed at most once."""
        now = now or datetime.now(UTC)
        topic = week_topic(now, self.zone)
        async with self.db() as session:
            rows = (
                await session.execute(
                    select(Snapshot.company_id, Snapshot.body, Company.name).join(
                        Company, Company.id == Snapshot.company_id
                    )
                )
            ).all()
        notes: list[WeeklyNote] = []
        for company_id, body, name in rows:
            found = json.loads(body).get("insights") or []
            if not found or not await self._claim(company_id, topic, now):
                continue
            async with self.db() as session:
                admins = await partner_admins(session, company_id)
            for telegram_id, language in admins:
                language = "en" if language == "en" else "ru"
                notes.append(
                    WeeklyNote(telegram_id, language, name, [i["words"][language] for i in found])
                )
        return notes

    async def _claim(self, company_id: int, topic: str, now: datetime) -> bool:
        try:
            async with self.db.begin() as session:
                session.add(PartnerNotice(company_id=company_id, topic=topic, sent_at=now))
        except IntegrityError:
            return False
        return True
