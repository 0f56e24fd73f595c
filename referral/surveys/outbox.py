"""The survey outbox: claim a row before sending, settle it after.

The exactly-once rule
---------------------
Telegram's sendMessage has no idempotency key, so no protocol can promise
"exactly once" when a process dies between Telegram accepting a message and
our database recording it. We choose *never twice*:

1. ``claim`` commits ``status='sending'`` (with the worker and the time)
   *before* the request leaves; a rate-limit token is taken first, so a row
   is claimed only when it is about to go.
2. ``sent``/``unreachable``/``retry``/``release`` settle it after the answer.
3. A row still ``sending`` after ``lease`` (longer than any request may take)
   belongs to a process that died in that window. It becomes ``in_doubt`` and
   is **never resent automatically**: the message may or may not have reached
   the member, and a second copy is the failure we refuse to risk.

The window is one request per sending slot per process (``concurrency`` rows
at most). An in-doubt member still finds the survey under /surveys, and the
marketer sees the count; an operator may decide otherwise for a survey.
Only answers Telegram gave (429, 403, other error codes) prove nothing was
sent; a timeout or dropped connection after the request left is the same
window as a crash, and is settled ``in_doubt`` too.

On PostgreSQL the claim is ``SELECT ... FOR UPDATE SKIP LOCKED``, so several
processes drain one outbox without taking the same row; SQLite has one writer
(``BEGIN IMMEDIATE``) and needs nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.models import Member
from referral.surveys import models as m

D = m.SurveyDelivery


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    survey_id: int
    member_id: int
    chat_id: int
    language: str | None
    position: int


class Outbox:
    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        *,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 5,
        backoff: timedelta = timedelta(seconds=2),
        max_backoff: timedelta = timedelta(minutes=10),
    ) -> None:
        self.db = db
        self.lease = lease
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff

    async def claim(self, worker: str, now: datetime | None = None) -> Claim | None:
        """Take the next due row for ``worker``; None when nothing is due.

        Rows whose member has since left (erased, blocked) are settled
        ``skipped`` on the way, in the same transaction.
        """
        now = now or datetime.now(UTC)
        async with self.db.begin() as session:
            for _ in range(50):
                row = (await session.execute(
                    select(D, Member.telegram_id, Member.language, Member.reachable)
                    .join(Member, Member.id == D.member_id)
                    .where(D.status == m.PENDING, D.due_at <= now)
                    .order_by(D.due_at, D.id)
                    .limit(1)
                    .with_for_update(of=D, skip_locked=True)
                )).first()
                if row is None:
                    return None
                delivery, chat_id, language, reachable = row
                if chat_id is None or not reachable:
                    delivery.status = m.SKIPPED
                    delivery.last_error = "member erased or unreachable before sending"
                    await session.flush()
                    continue
                delivery.status = m.SENDING
                delivery.claimed_by = worker
                delivery.claimed_at = now
                return Claim(delivery.id, delivery.survey_id, delivery.member_id, chat_id,
                             language, delivery.position)
        return None

    async def _settle(self, claim: Claim, worker: str, **values: object) -> bool:
        async with self.db.begin() as session:
            result = await session.execute(
                update(D)
                .where(D.id == claim.delivery_id, D.claimed_by == worker,
                       D.status.in_((m.SENDING, m.IN_DOUBT)))
                .values(**values)
            )
        return bool(result.rowcount)

    async def sent(self, claim: Claim, worker: str) -> bool:
        now = datetime.now(UTC)
        return await self._settle(
            claim, worker, status=m.SENT, sent_at=now, updated_at=now,
            attempts=D.attempts + 1, last_error=None,
        )

    async def release(self, claim: Claim, worker: str) -> bool:
        """Telegram refused for flood (429): nothing was sent; back in line, no attempt used."""
        return await self._settle(claim, worker, status=m.PENDING, claimed_by=None, claimed_at=None)

    async def unreachable(self, claim: Claim, worker: str, reason: str) -> bool:
        return await self._settle(claim, worker, status=m.UNREACHABLE, last_error=reason[:255])

    async def in_doubt(self, claim: Claim, worker: str, reason: str) -> bool:
        return await self._settle(claim, worker, status=m.IN_DOUBT, last_error=reason[:255])

    async def retry(self, claim: Claim, worker: str, reason: str, now: datetime | None = None) -> str:
        """Telegram answered with an error: try again later, or give up after max_attempts."""
        now = now or datetime.now(UTC)
        async with self.db.begin() as session:
            attempts = await session.scalar(select(D.attempts).where(D.id == claim.delivery_id))
            attempts = (attempts or 0) + 1
            if attempts >= self.max_attempts:
                status, due = m.FAILED, now
            else:
                status = m.PENDING
                due = now + min(self.backoff * 2 ** (attempts - 1), self.max_backoff)
            await session.execute(
                update(D)
                .where(D.id == claim.delivery_id, D.claimed_by == worker, D.status == m.SENDING)
                .values(status=status, attempts=attempts, due_at=due, last_error=reason[:255],
                        claimed_by=None, claimed_at=None)
            )
        return status

    async def expire(self, now: datetime | None = None) -> int:
        """Claims older than the lease become in_doubt (never resent); returns how many."""
        now = now or datetime.now(UTC)
        async with self.db.begin() as session:
            result = await session.execute(
                update(D)
                .where(D.status == m.SENDING, D.claimed_at < now - self.lease)
                .values(status=m.IN_DOUBT,
                        last_error="claimed but never settled: the sender died mid-send")
            )
        return result.rowcount or 0

    async def due(self, now: datetime | None = None) -> int:
        now = now or datetime.now(UTC)
        async with self.db() as session:
            return await session.scalar(
                select(func.count()).where(D.status == m.PENDING, D.due_at <= now)
            ) or 0
