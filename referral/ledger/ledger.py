"""The ledger's public service: awards, deposits, holds, reversals, timeouts,
expiry and reminders. Each public method is one unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.ledger.accounts import DEPOSIT, EXPIRED, FUNDING, MEMBER, REDEEMED, account
from referral.ledger.bookkeeping_models import CASHBACK, CURRENCIES, POINTS, Account, Lot, Transfer
from referral.ledger.errors import InvalidAmount, UnknownTransfer
from referral.ledger.posting_engine import aware, locked_transfer, resolve, transfer
from referral.models import Member

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Reminder:
    """Points of one member at one company that lapse within a week."""

    member_id: int
    telegram_id: int
    language: str | None
    company_id: int
    points: int
    expires_at: datetime


class Ledger:
    def __init__(self, db: async_sessionmaker[AsyncSession], clock: Clock = utcnow) -> None:
        self.db = db
        self.clock = clock

    async def award_points(
        self, member_id: int, company_id: int, points: int, reason: str, idempotency_key: str
    ) -> bool:
        """Credit ``points`` to the member's wallet at the company, drawn on the
        company's points deposit. True when posted now, False when the key was
        posted before; InsufficientDeposit when the deposit cannot cover it."""
        async with self.db.begin() as session:
            _, done = await self.award_in(
                session, member_id, company_id, points, reason, idempotency_key, kind="award"
            )
        return done

    async def award_in(
        self,
        session: AsyncSession,
        member_id: int,
        company_id: int,
        amount: int,
        reason: str,
        key: str,
        *,
        kind: str,
        currency: str = POINTS,
        pending_until: datetime | None = None,
        purchase_id: int | None = None,
    ) -> tuple[int, bool]:
        """An award inside the caller's transaction, pending until ``pending_until`` if
        given: (transfer id, True when made now). The caller rolls back on a refusal."""
        debit = await account(session, DEPOSIT, currency, company_id)
        credit = await account(session, MEMBER, currency, company_id, member_id)
        return await transfer(
            session,
            key=key,
            kind=kind,
            currency=currency,
            debit=debit,
            credit=credit,
            amount=amount,
            now=self.clock(),
            pending=pending_until is not None,
            resolve_at=pending_until,
            on_timeout="post" if pending_until else None,
            purchase_id=purchase_id,
            reason=reason,
        )

    async def deposit(self, company_id: int, amount: int, key: str, currency: str = POINTS) -> bool:
        """The operator tops up a partner's liability deposit."""
        if currency not in CURRENCIES:
            raise InvalidAmount(f"currency must be one of {', '.join(CURRENCIES)}")
        async with self.db.begin() as session:
            debit = await account(session, FUNDING, currency)
            credit = await account(session, DEPOSIT, currency, company_id)
            _, done = await transfer(
                session,
                key=key,
                kind="deposit",
                currency=currency,
                debit=debit,
                credit=credit,
                amount=amount,
                now=self.clock(),
                reason="deposit top-up",
            )
        return done

    async def spend(
        self,
        member_id: int,
        company_id: int,
        points: int,
        key: str,
        hold_until: datetime | None = None,
    ) -> bool:
        """Debit a member's points to the company's redeemed account, now or as a hold."""
        async with self.db.begin() as session:
            debit = await account(session, MEMBER, POINTS, company_id, member_id)
            credit = await account(session, REDEEMED, POINTS, company_id)
            _, done = await transfer(
                session,
                key=key,
                kind="spend",
                currency=POINTS,
                debit=debit,
                credit=credit,
                amount=points,
                now=self.clock(),
                pending=hold_until is not None,
                resolve_at=hold_until,
                on_timeout="void" if hold_until else None,
            )
        return done

    async def post(self, key: str) -> None:
        await self._resolve(key, post=True)

    async def void(self, key: str) -> None:
        await self._resolve(key, post=False)

    async def _resolve(self, key: str, post: bool) -> None:
        async with self.db.begin() as session:
            made = await locked_transfer(session, key)
            if made is None:
                raise UnknownTransfer(key)
            await resolve(session, made, post, self.clock())

    async def reverse(self, key: str, reversal_key: str) -> bool:
        """A correcting transfer back from credit to debit; history stays as it was."""
        async with self.db.begin() as session:
            original = await session.scalar(select(Transfer).where(Transfer.key == key))
            if original is None or original.status != "posted":
                raise UnknownTransfer(f"no posted transfer {key!r}")
            _, done = await transfer(
                session,
                key=reversal_key,
                kind="reverse",
                currency=original.currency,
                debit=original.credit_id,
                credit=original.debit_id,
                amount=original.amount,
                now=self.clock(),
                reverses_id=original.id,
                reason=f"reverses {original.kind}",
            )
        return done

    async def settle_due(self, now: datetime | None = None) -> tuple[int, int]:
        """The timeout job: pending transfers past ``resolve_at`` are posted
        (rewards after the return window) or voided (unredeemed vouchers)."""
        now = now or self.clock()
        async with self.db() as session:
            keys = (
                await session.scalars(
                    select(Transfer.key)
                    .where(Transfer.status == "pending", Transfer.resolve_at <= now)
                    .order_by(Transfer.id)
                )
            ).all()
        posted = voided = 0
        for key in keys:  # one unit of work each: one bad row never blocks the rest
            async with self.db.begin() as session:
                made = await locked_transfer(session, key)
                if made is None or made.status != "pending":
                    continue
                await resolve(session, made, made.on_timeout == "post", now)
                posted, voided = (
                    (posted + 1, voided) if made.status == "posted" else (posted, voided + 1)
                )
        return posted, voided

    async def expire_due(self, now: datetime | None = None) -> int:
        """Expire every lot past its date: an explicit posting to the company's expired account."""
        now = now or self.clock()
        async with self.db() as session:
            lot_ids = (
                await session.scalars(
                    select(Lot.id).where(Lot.expires_at <= now, Lot.remaining > 0).order_by(Lot.id)
                )
            ).all()
        expired = 0
        for lot_id in lot_ids:
            async with self.db.begin() as session:
                wallet = await session.scalar(
                    select(Account)
                    .join(Lot, Lot.account_id == Account.id)
                    .where(Lot.id == lot_id)
                    .with_for_update(of=Account, key_share=True)
                )
                lot = await session.get_one(Lot, lot_id, populate_existing=True)
                if wallet is None or lot.remaining <= 0:
                    continue
                target = await account(session, EXPIRED, POINTS, wallet.company_id)
                amount = lot.remaining
                await transfer(
                    session,
                    key=f"expire:lot:{lot.id}:{now.timestamp()}",
                    kind="expire",
                    currency=POINTS,
                    debit=wallet.id,
                    credit=target,
                    amount=amount,
                    now=now,
                    from_lot=lot.id,
                    reason="points expired",
                )
                expired += amount
        return expired

    async def reminders_due(self, now: datetime | None = None) -> list[Reminder]:
        """Members whose points lapse within a week and were not reminded yet;
        marks them reminded (the bot sends at most one reminder per lot)."""
        now = now or self.clock()
        async with self.db.begin() as session:
            rows = (
                await session.execute(
                    select(Lot, Account.company_id, Member)
                    .join(Account, Lot.account_id == Account.id)
                    .join(Member, Account.member_id == Member.id)
                    .where(
                        Lot.remaining > 0,
                        Lot.reminded_at.is_(None),
                        Lot.expires_at > now,
                        Lot.expires_at <= now + timedelta(days=7),
                    )
                )
            ).all()
            due: dict[tuple[int, int], Reminder] = {}
            for lot, company_id, member in rows:
                lot.reminded_at = now
                if member.telegram_id is None or not member.reachable:
                    continue
                earlier = due.get((member.id, company_id))
                points = lot.remaining + (earlier.points if earlier else 0)
                first = (
                    min(aware(lot.expires_at), earlier.expires_at)
                    if earlier
                    else aware(lot.expires_at)
                )
                due[(member.id, company_id)] = Reminder(
                    member.id, member.telegram_id, member.language, company_id, points, first
                )
        return list(due.values())


__all__ = ["CASHBACK", "POINTS", "Ledger", "Reminder"]
