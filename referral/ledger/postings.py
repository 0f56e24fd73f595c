"""The ledger engine, inside a caller's transaction: accounts, transfers, lots.

Every function takes the session of a unit of work that a service opened.
No overdraft, on both backends: the accounts a transfer touches are locked
(``SELECT ... FOR UPDATE``, in id order so two transfers never deadlock; on
SQLite the transaction already holds the one write lock, BEGIN IMMEDIATE), then
the balance is checked and changed in the same transaction; the CHECK
constraint ``no_overdraft`` is the last line of defence.
Idempotency: the transfer row is claimed first with INSERT ... ON CONFLICT
(key) DO NOTHING, so a repeated key, even a concurrent one, changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from referral.ledger.errors import (
    AlreadyResolved,
    IdempotencyConflict,
    InsufficientDeposit,
    InsufficientPoints,
    InvalidAmount,
)
from referral.ledger.models import POINTS, Account, HoldLot, Lot, Posting, Rules, Transfer
from referral.models import Company

FUNDING, DEPOSIT, REDEEMED, EXPIRED, MEMBER = "funding", "deposit", "redeemed", "expired", "member"


def _insert(session: AsyncSession, table):  # type: ignore[no-untyped-def]
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


def account_code(kind: str, currency: str, company_id: int | None, member_id: int | None) -> str:
    if kind == MEMBER:
        return f"m{member_id}:c{company_id}:{currency}"
    if kind == FUNDING:
        return f"funding:{currency}"
    return f"c{company_id}:{kind}:{currency}"


async def account(
    session: AsyncSession, kind: str, currency: str, company_id: int | None = None,
    member_id: int | None = None,
) -> int:
    """The id of an account, created on first use (concurrent first uses agree)."""
    code = account_code(kind, currency, company_id, member_id)
    found = await session.scalar(select(Account.id).where(Account.code == code))
    if found is not None:
        return found
    await session.execute(
        _insert(session, Account)
        .values(code=code, kind=kind, currency=currency, company_id=company_id,
                member_id=member_id, posted=0, pending_out=0, pending_in=0)
        .on_conflict_do_nothing(index_elements=["code"])
    )
    return await session.scalar(select(Account.id).where(Account.code == code))  # type: ignore[return-value]


async def _lock(session: AsyncSession, *ids: int) -> dict[int, Account]:
    rows = await session.scalars(
        select(Account).where(Account.id.in_(ids)).order_by(Account.id)
        # NO KEY UPDATE: a balance change never touches keys, so it must not
        # conflict with the KEY SHARE locks that inserting a transfer's foreign
        # keys takes (FOR UPDATE would deadlock two concurrent transfers).
        .with_for_update(key_share=True).execution_options(populate_existing=True)
    )
    return {a.id: a for a in rows}


async def transfer(
    session: AsyncSession, *, key: str, kind: str, currency: str, debit: int, credit: int,
    amount: int, now: datetime, pending: bool = False, resolve_at: datetime | None = None,
    on_timeout: str | None = None, purchase_id: int | None = None, reason: str = "",
    reverses_id: int | None = None, from_lot: int | None = None,
) -> tuple[Transfer, bool]:
    """Move ``amount`` from ``debit`` to ``credit``: (transfer, True) when done
    now, (the earlier transfer, False) when ``key`` was used before."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidAmount(f"a transfer amount must be a positive integer, not {amount!r}")
    claimed = await session.scalar(
        _insert(session, Transfer)
        .values(key=key, kind=kind, currency=currency, debit_id=debit, credit_id=credit,
                amount=amount, status="pending" if pending else "posted", reason=reason[:200],
                resolve_at=resolve_at, on_timeout=on_timeout, purchase_id=purchase_id,
                reverses_id=reverses_id, created_at=now, resolved_at=None if pending else now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Transfer.id)
    )
    if claimed is None:
        earlier = await session.scalar(select(Transfer).where(Transfer.key == key))
        assert earlier is not None
        if (earlier.debit_id, earlier.credit_id, earlier.amount) != (debit, credit, amount):
            raise IdempotencyConflict(f"key {key!r} was used for a different transfer")
        return earlier, False
    accounts = await _lock(session, debit, credit)
    source, target = accounts[debit], accounts[credit]
    if source.currency != currency or target.currency != currency:
        raise InvalidAmount("both accounts must hold the transfer's currency")
    await _require(session, source, amount)
    made = await session.get_one(Transfer, claimed)
    if source.kind == MEMBER and currency == POINTS:
        await _take_lots(session, source.id, amount, made.id if pending else None, from_lot)
    if pending:
        source.pending_out += amount
        target.pending_in += amount
    else:
        await _post_sides(session, made, source, target, now)
    return made, True


async def _require(session: AsyncSession, source: Account, amount: int) -> None:
    if source.kind == FUNDING:
        return
    available = source.posted - source.pending_out
    if available >= amount:
        return
    if source.kind == DEPOSIT:
        company = await session.get_one(Company, source.company_id)
        raise InsufficientDeposit(company.code, source.currency, available, amount)
    raise InsufficientPoints(f"available {available} {source.currency}, {amount} needed")


async def _post_sides(
    session: AsyncSession, made: Transfer, source: Account, target: Account, now: datetime
) -> None:
    source.posted -= made.amount
    target.posted += made.amount
    session.add_all([
        Posting(transfer_id=made.id, account_id=source.id, amount=-made.amount, created_at=now),
        Posting(transfer_id=made.id, account_id=target.id, amount=made.amount, created_at=now),
    ])
    if target.kind == MEMBER and target.currency == POINTS:
        ttl = await session.scalar(
            select(Rules.points_ttl_days).where(Rules.company_id == target.company_id)
        )
        expires = now + timedelta(days=ttl) if ttl else None
        session.add(Lot(account_id=target.id, transfer_id=made.id, amount=made.amount,
                        remaining=made.amount, expires_at=expires))


async def _take_lots(
    session: AsyncSession, account_id: int, amount: int, hold_id: int | None, only: int | None
) -> None:
    """Spend oldest-expiry first (points that never expire last); expiry names its lot."""
    lots = await session.scalars(
        select(Lot).where(Lot.account_id == account_id, Lot.remaining > 0,
                          Lot.id == only if only is not None else Lot.id.is_not(None))
        .order_by(Lot.expires_at.is_(None), Lot.expires_at, Lot.id)
        .execution_options(populate_existing=True)
    )
    left = amount
    for lot in lots:
        take = min(left, lot.remaining)
        lot.remaining -= take
        left -= take
        if hold_id is not None:
            session.add(HoldLot(transfer_id=hold_id, lot_id=lot.id, amount=take))
        if not left:
            return
    raise InsufficientPoints(f"the wallet's lots hold {amount - left} of {amount} points")


async def resolve(session: AsyncSession, made: Transfer, post: bool, now: datetime) -> None:
    """Post or void a pending transfer, once; the caller holds it locked."""
    if made.status != "pending":
        raise AlreadyResolved(f"transfer {made.key!r} is already {made.status}")
    accounts = await _lock(session, made.debit_id, made.credit_id)
    source, target = accounts[made.debit_id], accounts[made.credit_id]
    source.pending_out -= made.amount
    target.pending_in -= made.amount
    made.status = "posted" if post else "voided"
    made.resolved_at = now
    if post:
        await _post_sides(session, made, source, target, now)
        return
    holds = await session.scalars(select(HoldLot).where(HoldLot.transfer_id == made.id))
    for hold in holds:
        lot = await session.get_one(Lot, hold.lot_id, populate_existing=True)
        lot.remaining += hold.amount


async def locked_transfer(session: AsyncSession, key: str) -> Transfer | None:
    return await session.scalar(
        select(Transfer).where(Transfer.key == key).with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )



def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
