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
at most). The drainer batches the database work without widening it:
``settle_and_claim`` puts the outcomes that came in and the claims that slots
(each already holding its token) asked for since the last commit into one
transaction, a group commit. A slot asks for its next row only after handing
in its last outcome, so one process never has more than ``concurrency`` rows
``sending``, and an idle outbox still settles each row as soon as the writer
is free.

An in-doubt member still finds the survey under /surveys, and the
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


# What Telegram's answer (or its absence) proved, to be settled: see Outbox.settle_and_claim.
SETTLE_SENT, SETTLE_RELEASE, SETTLE_UNREACHABLE = "sent", "release", "unreachable"
SETTLE_IN_DOUBT, SETTLE_RETRY = "in_doubt", "retry"


@dataclass(frozen=True)
class Outcome:
    claim: Claim
    kind: str  # one of SETTLE_*
    reason: str = ""


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
        claims = await self.settle_and_claim(worker, [], 1, now)
        return claims[0] if claims else None

    async def settle_and_claim(
        self, worker: str, outcomes: list[Outcome], limit: int, now: datetime | None = None
    ) -> list[Claim]:
        """Settle ``outcomes`` and claim up to ``limit`` due rows, in one transaction.

        One commit for many rows is what lets SQLite keep up with the send rate;
        the caller keeps at most its number of sending slots claimed.
        """
        now = now or datetime.now(UTC)
        async with self.db.begin() as session:
            for outcome in outcomes:
                await self._settle_in(session, outcome, worker, now)
            return await self._claim_in(session, worker, limit, now) if limit > 0 else []

    async def _claim_in(
        self, session: AsyncSession, worker: str, limit: int, now: datetime
    ) -> list[Claim]:
        claims: list[Claim] = []
        for _ in range(50):
            wanted = limit - len(claims)
            rows = (
                await session.execute(
                    select(
                        D.id,
                        D.survey_id,
                        D.member_id,
                        D.position,
                        Member.telegram_id,
                        Member.language,
                        Member.reachable,
                    )
                    .join(Member, Member.id == D.member_id)
                    .where(D.status == m.PENDING, D.due_at <= now)
                    .order_by(D.due_at, D.id)
                    .limit(wanted)
                    .with_for_update(of=D, skip_locked=True)
                )
            ).all()
            if not rows:
                break
            gone = [r.id for r in rows if r.telegram_id is None or not r.reachable]
            going = [r for r in rows if r.telegram_id is not None and r.reachable]
            if gone:
                await session.execute(
                    update(D)
                    .where(D.id.in_(gone))
                    .values(
                        status=m.SKIPPED, last_error="member erased or unreachable before sending"
                    )
                )
            if going:
                await session.execute(
                    update(D)
                    .where(D.id.in_([r.id for r in going]))
                    .values(status=m.SENDING, claimed_by=worker, claimed_at=now)
                )
            claims += [
                Claim(r.id, r.survey_id, r.member_id, r.telegram_id, r.language, r.position)
                for r in going
            ]
            if len(claims) >= limit or len(rows) < wanted:
                break
        return claims

    async def _settle_in(
        self, session: AsyncSession, outcome: Outcome, worker: str, now: datetime
    ) -> bool:
        claim, kind, reason = outcome.claim, outcome.kind, outcome.reason[:255]
        mine = (D.id == claim.delivery_id, D.claimed_by == worker)
        if kind == SETTLE_RETRY:
            attempts = await session.scalar(select(D.attempts).where(D.id == claim.delivery_id))
            attempts = (attempts or 0) + 1
            if attempts >= self.max_attempts:
                status, due = m.FAILED, now
            else:
                status = m.PENDING
                due = now + min(self.backoff * 2 ** (attempts - 1), self.max_backoff)
            values: dict[str, object] = dict(
                status=status,
                attempts=attempts,
                due_at=due,
                last_error=reason,
                claimed_by=None,
                claimed_at=None,
            )
            where = (*mine, D.status == m.SENDING)
        else:
            values = {
                SETTLE_SENT: dict(
                    status=m.SENT,
                    sent_at=now,
                    updated_at=now,
                    attempts=D.attempts + 1,
                    last_error=None,
                ),
                SETTLE_RELEASE: dict(status=m.PENDING, claimed_by=None, claimed_at=None),
                SETTLE_UNREACHABLE: dict(status=m.UNREACHABLE, last_error=reason),
                SETTLE_IN_DOUBT: dict(status=m.IN_DOUBT, last_error=reason),
            }[kind]
            where = (*mine, D.status.in_((m.SENDING, m.IN_DOUBT)))
        result = await session.execute(update(D).where(*where).values(**values))
        return bool(result.rowcount)

    async def _settle(self, outcome: Outcome, worker: str, now: datetime | None = None) -> bool:
        async with self.db.begin() as session:
            return await self._settle_in(session, outcome, worker, now or datetime.now(UTC))

    async def sent(self, claim: Claim, worker: str) -> bool:
        return await self._settle(Outcome(claim, SETTLE_SENT), worker)

    async def release(self, claim: Claim, worker: str) -> bool:
        """Telegram refused for flood (429): nothing was sent; back in line, no attempt used."""
        return await self._settle(Outcome(claim, SETTLE_RELEASE), worker)

    async def unreachable(self, claim: Claim, worker: str, reason: str) -> bool:
        return await self._settle(Outcome(claim, SETTLE_UNREACHABLE, reason), worker)

    async def in_doubt(self, claim: Claim, worker: str, reason: str) -> bool:
        return await self._settle(Outcome(claim, SETTLE_IN_DOUBT, reason), worker)

    async def retry(
        self, claim: Claim, worker: str, reason: str, now: datetime | None = None
    ) -> str:
        """Telegram answered with an error: try again later, or give up after max_attempts."""
        now = now or datetime.now(UTC)
        await self._settle(Outcome(claim, SETTLE_RETRY, reason), worker, now)
        async with self.db() as session:
            return await session.scalar(select(D.status).where(D.id == claim.delivery_id)) or ""

    async def expire(self, now: datetime | None = None) -> int:
        """Claims older than the lease become in_doubt (never resent); returns how many."""
        now = now or datetime.now(UTC)
        async with self.db.begin() as session:
            result = await session.execute(
                update(D)
                .where(D.status == m.SENDING, D.claimed_at < now - self.lease)
                .values(
                    status=m.IN_DOUBT,
                    last_error="claimed but never settled: the sender died mid-send",
                )
            )
        return result.rowcount or 0

    async def due(self, now: datetime | None = None) -> int:
        now = now or datetime.now(UTC)
        async with self.db() as session:
            return (
                await session.scalar(
                    select(func.count()).where(D.status == m.PENDING, D.due_at <= now)
                )
                or 0
            )
