"""Who gets a reminder of a regular purchase, and who a retention offer.

The domain decides and claims (writes the reminder log) before anything is
sent, so a crash after the claim loses one message rather than sending two:
at most one reminder a week per member, one retention offer a month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recommender import detect_periods, due_reminders
from referral.ledger.catalogue_models import Service
from referral.models import Company, Member
from referral.offers.frames import purchases_frame
from referral.offers.models import REMINDER, RETENTION, ReminderLog
from referral.offers.store import ModelStore

REMINDER_GAP = timedelta(days=7)
RETENTION_GAP = timedelta(days=30)


@dataclass(frozen=True)
class Nudge:
    member_id: int
    telegram_id: int
    language: str | None
    service: str | None = None
    company: str | None = None


class NudgeService:
    def __init__(self, db: async_sessionmaker[AsyncSession], store: ModelStore) -> None:
        self.db = db
        self.store = store

    async def claim_reminders(self, now: datetime | None = None) -> list[Nudge]:
        """Members whose regular purchase is due, claimed for sending now."""
        now = now or datetime.now(UTC)
        async with self.db() as session:
            purchases = await purchases_frame(session)
            last = await _last_sent(session, REMINDER)
        if purchases.empty:
            return []
        due = due_reminders(
            detect_periods(purchases),
            now.timestamp(),
            last_sent=last,
            min_gap_days=REMINDER_GAP.days,
        )
        pairs = [(u, int(i)) for u, i in zip(due["user_id"], due["item_id"], strict=True)]
        return await self._claim(pairs, REMINDER, now, REMINDER_GAP)

    async def claim_retention(self, now: datetime | None = None, limit: int = 50) -> list[Nudge]:
        """The most valuable members at risk of churning, claimed for a retention offer."""
        now = now or datetime.now(UTC)
        _, extras = self.store.current()
        if extras is None or extras.churn is None:
            return []
        async with self.db() as session:
            purchases = await purchases_frame(session)
        if purchases.empty:
            return []
        risky = extras.churn.at_risk(purchases, now=now.timestamp())
        return await self._claim(
            [(u, None) for u in risky["user_id"]], RETENTION, now, RETENTION_GAP, limit
        )

    async def _claim(
        self,
        pairs: list[tuple[str, int | None]],
        kind: str,
        now: datetime,
        gap: timedelta,
        limit: int | None = None,
    ) -> list[Nudge]:
        out: list[Nudge] = []
        async with self.db.begin() as session:
            for pseudonym, service_id in pairs:
                if limit is not None and len(out) >= limit:
                    break
                member = await session.scalar(
                    select(Member).where(
                        Member.pseudonym == pseudonym,
                        Member.erased_at.is_(None),
                        Member.telegram_id.is_not(None),
                        Member.reachable,
                    )
                )
                if member is None:
                    continue
                log = await session.get(ReminderLog, (member.id, kind))
                if log is not None and _aware(log.sent_at) > now - gap:
                    continue  # re-checked here: the frame may be older than the log
                if log is None:
                    session.add(
                        ReminderLog(
                            member_id=member.id, kind=kind, service_id=service_id, sent_at=now
                        )
                    )
                else:
                    log.service_id, log.sent_at = service_id, now
                service = await session.get(Service, service_id) if service_id else None
                company = await session.get(Company, service.company_id) if service else None
                out.append(
                    Nudge(
                        member.id,
                        member.telegram_id,
                        member.language,
                        service.name if service else None,
                        company.name if company else None,
                    )
                )
        return out


async def _last_sent(session: AsyncSession, kind: str) -> dict[str, float]:
    rows = (
        await session.execute(
            select(Member.pseudonym, ReminderLog.sent_at)
            .join(Member, Member.id == ReminderLog.member_id)
            .where(ReminderLog.kind == kind)
        )
    ).all()
    return {p: _aware(at).timestamp() for p, at in rows}


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they are UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
