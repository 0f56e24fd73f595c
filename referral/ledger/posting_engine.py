"""The posting engine, inside a caller's transaction: transfers, postings, lots.

Every function takes the session of a unit of work that a service opened, and
speaks Core on its connection: a transfer is a handful of statements, never an
ORM flush.

Idempotency: the transfer row is claimed first with INSERT ... ON CONFLICT
(key) DO NOTHING, so a repeated key, even a concurrent one, changes nothing.
No overdraft, on both backends: the debit is one conditional UPDATE
(``posted - pending_out >= amount`` in its WHERE), which on PostgreSQL takes
the row lock and re-checks the condition on the newest row version, and on
SQLite runs inside the one write transaction (BEGIN IMMEDIATE); the CHECK
constraint ``no_overdraft`` is the last line of defence. Accounts are updated
in one global order (member wallets, then system accounts, each by id), so two
transfers never deadlock, and the shared system rows (a partner's deposit) are
locked last, for the shortest time.
A refusal (InsufficientPoints, InsufficientDeposit, ...) leaves rows of the
transfer written: the caller rolls back, or wraps the transfer in a savepoint.
Accounts (their kinds, codes and ids) live in referral.ledger.accounts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from referral.ledger.account_cache import known_accounts
from referral.ledger.accounts import (
    DEPOSIT,
    FUNDING,
    MEMBER,
    AccountInfo,
    account,
    account_code,
    account_infos,
    lock_order,
    upsert,
)
from referral.ledger.bookkeeping_models import Account, HoldLot, Lot, Posting, Rules, Transfer
from referral.ledger.errors import (
    AlreadyResolved,
    IdempotencyConflict,
    InsufficientDeposit,
    InsufficientPoints,
    InvalidAmount,
)
from referral.models import Company

ACCOUNTS, TRANSFERS, POSTINGS = Account.__table__, Transfer.__table__, Posting.__table__
LOTS, HOLD_LOTS, RULES = Lot.__table__, HoldLot.__table__, Rules.__table__


_CLAIMS: dict[tuple[str, bool], Any] = {}


def _claim(conn: AsyncConnection, with_ttl: bool):  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT (key) DO NOTHING RETURNING id, and with ``with_ttl``
    the credited company's points expiry rule, read in the same round trip."""
    dialect = conn.dialect.name
    if (dialect, with_ttl) not in _CLAIMS:
        returning = [TRANSFERS.c.id]
        if with_ttl:
            returning.append(
                select(RULES.c.points_ttl_days)
                .where(RULES.c.company_id == bindparam("ttl_company"))
                .scalar_subquery()
            )
        _CLAIMS[dialect, with_ttl] = (
            upsert(conn, TRANSFERS)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(*returning)
        )
    return _CLAIMS[dialect, with_ttl]


_INSERT_POSTINGS = insert(POSTINGS)
_INSERT_LOT = insert(LOTS)
_INSERT_HOLD_LOTS = insert(HOLD_LOTS)
_TAKE_FROM_LOT = (
    update(LOTS)
    .where(LOTS.c.id == bindparam("lot"))
    .values(remaining=LOTS.c.remaining - bindparam("take"))
)
_ID, _AMOUNT = bindparam("account"), bindparam("amount")
_AVAILABLE = ACCOUNTS.c.posted - ACCOUNTS.c.pending_out >= _AMOUNT
# PostgreSQL: one account per statement, in lock order; the debit's WHERE is the overdraft check.
_DEBIT = {
    False: update(ACCOUNTS)
    .where(ACCOUNTS.c.id == _ID, _AVAILABLE)
    .values(posted=ACCOUNTS.c.posted - _AMOUNT),
    True: update(ACCOUNTS)
    .where(ACCOUNTS.c.id == _ID, _AVAILABLE)
    .values(pending_out=ACCOUNTS.c.pending_out + _AMOUNT),
}
# The funding account's debit has no overdraft check: it may go below zero.
_FUND = update(ACCOUNTS).where(ACCOUNTS.c.id == _ID).values(posted=ACCOUNTS.c.posted - _AMOUNT)
_CREDIT = {
    False: update(ACCOUNTS).where(ACCOUNTS.c.id == _ID).values(posted=ACCOUNTS.c.posted + _AMOUNT),
    True: update(ACCOUNTS)
    .where(ACCOUNTS.c.id == _ID)
    .values(pending_in=ACCOUNTS.c.pending_in + _AMOUNT),
}
# SQLite: one writer holds the whole database, so both sides are one statement;
# the debit row is changed only if the amount stays available.
_IS_CREDIT = ACCOUNTS.c.id == bindparam("credit")
_BOTH_WHERE = (
    ACCOUNTS.c.id.in_([bindparam("debit"), bindparam("credit")]),
    or_(_IS_CREDIT, ACCOUNTS.c.kind == FUNDING, _AVAILABLE),
)
_BOTH = {
    False: update(ACCOUNTS)
    .where(*_BOTH_WHERE)
    .values(posted=ACCOUNTS.c.posted + case((_IS_CREDIT, _AMOUNT), else_=-_AMOUNT)),
    True: update(ACCOUNTS)
    .where(*_BOTH_WHERE)
    .values(
        pending_out=ACCOUNTS.c.pending_out + case((_IS_CREDIT, 0), else_=_AMOUNT),
        pending_in=ACCOUNTS.c.pending_in + case((_IS_CREDIT, _AMOUNT), else_=0),
    ),
}


async def _move(
    conn: AsyncConnection,
    infos: dict[int, AccountInfo],
    debit: int,
    credit: int,
    amount: int,
    pending: bool,
    then: Callable[[], Awaitable[None]],
) -> bool:
    """Change both balances, running ``then`` once the debit row is ours; False
    (and nothing changed on the debit) when the debit would overdraw."""
    if conn.dialect.name == "sqlite":
        both = await conn.execute(
            _BOTH[pending], {"debit": debit, "credit": credit, "amount": amount}
        )
        if both.rowcount != 2:
            return False
        await then()
        return True
    for account_id in lock_order(infos):
        if account_id == credit:
            await conn.execute(_CREDIT[pending], {"account": credit, "amount": amount})
            continue
        if infos[debit].kind == FUNDING:
            await conn.execute(_FUND, {"account": debit, "amount": amount})
        elif (
            await conn.execute(_DEBIT[pending], {"account": debit, "amount": amount})
        ).rowcount != 1:
            return False
        await then()  # before the shared system row is locked, if it comes later
    return True


def _change(account_id: int, values: dict[str, Any]):  # type: ignore[no-untyped-def]
    return (
        update(ACCOUNTS)
        .where(ACCOUNTS.c.id == account_id)
        .values({column: ACCOUNTS.c[column] + delta for column, delta in values.items()})
    )


async def transfer(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    currency: str,
    debit: int,
    credit: int,
    amount: int,
    now: datetime,
    pending: bool = False,
    resolve_at: datetime | None = None,
    on_timeout: str | None = None,
    purchase_id: int | None = None,
    reason: str = "",
    reverses_id: int | None = None,
    from_lot: int | None = None,
) -> tuple[int, bool]:
    """Move ``amount`` from ``debit`` to ``credit``: (transfer id, True) when
    done now, (the earlier transfer's id, False) when ``key`` was used before."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidAmount(f"a transfer amount must be a positive integer, not {amount!r}")
    conn = await session.connection()
    infos = await account_infos(session, conn, debit, credit)
    source, target = infos[debit], infos[credit]
    if source.currency != currency or target.currency != currency:
        raise InvalidAmount("both accounts must hold the transfer's currency")
    lot_credit = not pending and target.has_lots
    claimed = (
        await conn.execute(
            _claim(conn, lot_credit),
            dict(
                key=key,
                kind=kind,
                currency=currency,
                debit_id=debit,
                credit_id=credit,
                amount=amount,
                status="pending" if pending else "posted",
                reason=reason[:200],
                resolve_at=resolve_at,
                on_timeout=on_timeout,
                purchase_id=purchase_id,
                reverses_id=reverses_id,
                created_at=now,
                resolved_at=None if pending else now,
                ttl_company=target.company_id,
            ),
        )
    ).first()
    if claimed is None:
        earlier = (
            await conn.execute(
                select(
                    TRANSFERS.c.id, TRANSFERS.c.debit_id, TRANSFERS.c.credit_id, TRANSFERS.c.amount
                ).where(TRANSFERS.c.key == key)
            )
        ).one()
        if (earlier.debit_id, earlier.credit_id, earlier.amount) != (debit, credit, amount):
            raise IdempotencyConflict(f"key {key!r} was used for a different transfer")
        return earlier.id, False
    made = claimed[0]
    if not pending:  # written before the balances are locked, to hold the locks briefly
        await _write_postings(
            conn, made, debit, credit, amount, now, claimed[1] if lot_credit else None, lot_credit
        )

    async def take_lots() -> None:  # the wallet row is locked now: its lots are ours to take
        if source.has_lots:
            await _take_lots(conn, debit, amount, made if pending else None, from_lot)

    if not await _move(conn, infos, debit, credit, amount, pending, take_lots):
        await _refuse(conn, debit, source, amount)
    return made, True


async def _write_postings(
    conn: AsyncConnection,
    made: int,
    debit: int,
    credit: int,
    amount: int,
    now: datetime,
    ttl: int | None,
    lot_credit: bool,
) -> None:
    await conn.execute(
        _INSERT_POSTINGS,
        [
            {"transfer_id": made, "account_id": debit, "amount": -amount, "created_at": now},
            {"transfer_id": made, "account_id": credit, "amount": amount, "created_at": now},
        ],
    )
    if lot_credit:
        await conn.execute(
            _INSERT_LOT,
            {
                "account_id": credit,
                "transfer_id": made,
                "amount": amount,
                "remaining": amount,
                "reminded_at": None,
                "expires_at": now + timedelta(days=ttl) if ttl else None,
            },
        )


async def _refuse(conn: AsyncConnection, account_id: int, info: AccountInfo, amount: int) -> None:
    posted, reserved = (
        await conn.execute(
            select(ACCOUNTS.c.posted, ACCOUNTS.c.pending_out).where(ACCOUNTS.c.id == account_id)
        )
    ).one()
    available = posted - reserved
    if info.kind == DEPOSIT:
        code = await conn.scalar(select(Company.code).where(Company.id == info.company_id))
        raise InsufficientDeposit(code or "?", info.currency, available, amount, info.company_id)
    raise InsufficientPoints(f"available {available} {info.currency}, {amount} needed")


async def _take_lots(
    conn: AsyncConnection, account_id: int, amount: int, hold_id: int | None, only: int | None
) -> None:
    """Spend oldest-expiry first (points that never expire last); expiry names its lot."""
    query = select(LOTS.c.id, LOTS.c.remaining).where(
        LOTS.c.account_id == account_id, LOTS.c.remaining > 0
    )
    if only is not None:
        query = query.where(LOTS.c.id == only)
    left, takes = amount, []
    for lot_id, remaining in await conn.execute(
        query.order_by(LOTS.c.expires_at.is_(None), LOTS.c.expires_at, LOTS.c.id)
    ):
        take = min(left, remaining)
        takes.append({"lot": lot_id, "take": take})
        left -= take
        if not left:
            break
    if left:
        raise InsufficientPoints(f"the wallet's lots hold {amount - left} of {amount} points")
    await conn.execute(_TAKE_FROM_LOT, takes)
    if hold_id is not None:
        await conn.execute(
            _INSERT_HOLD_LOTS,
            [{"transfer_id": hold_id, "lot_id": t["lot"], "amount": t["take"]} for t in takes],
        )


async def resolve(session: AsyncSession, made: Transfer, post: bool, now: datetime) -> None:
    """Post or void a pending transfer, once; the caller holds it locked."""
    if made.status != "pending":
        raise AlreadyResolved(f"transfer {made.key!r} is already {made.status}")
    conn = await session.connection()
    infos = await account_infos(session, conn, made.debit_id, made.credit_id)
    amount, target = made.amount, infos[made.credit_id]
    for account_id in lock_order(infos):
        if account_id == made.debit_id:
            change = {"pending_out": -amount, **({"posted": -amount} if post else {})}
        else:
            change = {"pending_in": -amount, **({"posted": amount} if post else {})}
        await conn.execute(_change(account_id, change))
    made.status = "posted" if post else "voided"
    made.resolved_at = now
    if post:
        ttl = (
            await conn.scalar(
                select(RULES.c.points_ttl_days).where(RULES.c.company_id == target.company_id)
            )
            if target.has_lots
            else None
        )
        await _write_postings(
            conn, made.id, made.debit_id, made.credit_id, amount, now, ttl, target.has_lots
        )
        return
    holds = select(HOLD_LOTS.c.lot_id).where(HOLD_LOTS.c.transfer_id == made.id)
    held = select(HOLD_LOTS.c.amount).where(
        HOLD_LOTS.c.transfer_id == made.id, HOLD_LOTS.c.lot_id == LOTS.c.id
    )
    await conn.execute(
        update(LOTS)
        .where(LOTS.c.id.in_(holds))
        .values(remaining=LOTS.c.remaining + held.scalar_subquery())
    )


async def locked_transfer(session: AsyncSession, key: str) -> Transfer | None:
    return await session.scalar(
        select(Transfer)
        .where(Transfer.key == key)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PendingAward:
    """A reward from a company's deposit to a member's wallet there, pending until ``until``."""

    member_id: int
    currency: str
    amount: int
    key: str
    kind: str
    reason: str
    until: datetime
    purchase_id: int | None = None


_CLAIM_MANY: dict[str, Any] = {}
_INCOMING = bindparam("incoming")
# A pending credit has no overdraft check; a deposit's pending debit has one.
_HOLD_ON = (
    update(ACCOUNTS)
    .where(
        ACCOUNTS.c.id == _ID,
        or_(ACCOUNTS.c.kind != DEPOSIT, ACCOUNTS.c.posted - ACCOUNTS.c.pending_out >= _AMOUNT),
    )
    .values(
        pending_out=ACCOUNTS.c.pending_out + _AMOUNT, pending_in=ACCOUNTS.c.pending_in + _INCOMING
    )
)


async def award_pending(
    session: AsyncSession, company_id: int, awards: list[PendingAward], now: datetime
) -> None:
    """Many pending awards of one company in a few statements, not a handful
    each: the same rows and balances as ``transfer(..., pending=True)`` per award.

    The transfers are claimed in one multi-row INSERT ... ON CONFLICT DO
    NOTHING; a key used before goes through ``transfer`` alone, which answers
    for it as always (unchanged, or IdempotencyConflict). Then each account's
    total moves at once, member wallets first and the deposits last (the lock
    order of every transfer); InsufficientDeposit when a deposit cannot cover
    its share, and the caller rolls back."""
    if not awards:
        return
    for award in awards:
        if not isinstance(award.amount, int) or award.amount <= 0:
            raise InvalidAmount(
                f"a transfer amount must be a positive integer, not {award.amount!r}"
            )
    conn = await session.connection()
    known = known_accounts(conn).ids  # committed ids, read without a round trip
    deposits: dict[str, int] = {}
    wallets: dict[tuple[int, str], int] = {}
    for a in awards:
        if a.currency not in deposits:
            code = account_code(DEPOSIT, a.currency, company_id, None)
            deposits[a.currency] = known.get(code) or await account(
                session, DEPOSIT, a.currency, company_id
            )
        if (a.member_id, a.currency) not in wallets:
            code = account_code(MEMBER, a.currency, company_id, a.member_id)
            wallets[a.member_id, a.currency] = known.get(code) or await account(
                session, MEMBER, a.currency, company_id, a.member_id
            )
    dialect = conn.dialect.name
    if dialect not in _CLAIM_MANY:
        _CLAIM_MANY[dialect] = (
            upsert(conn, TRANSFERS)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(TRANSFERS.c.key)
        )
    claimed = {
        key
        for (key,) in await conn.execute(
            _CLAIM_MANY[dialect],
            [
                dict(
                    key=a.key,
                    kind=a.kind,
                    currency=a.currency,
                    debit_id=deposits[a.currency],
                    credit_id=wallets[a.member_id, a.currency],
                    amount=a.amount,
                    status="pending",
                    reason=a.reason[:200],
                    resolve_at=a.until,
                    on_timeout="post",
                    purchase_id=a.purchase_id,
                    reverses_id=None,
                    created_at=now,
                    resolved_at=None,
                )
                for a in awards
            ],
        )
    }
    incoming: dict[int, int] = {}
    outgoing: dict[int, int] = {}
    for a in awards:
        if a.key not in claimed:
            continue
        wallet, deposit = wallets[a.member_id, a.currency], deposits[a.currency]
        incoming[wallet] = incoming.get(wallet, 0) + a.amount
        outgoing[deposit] = outgoing.get(deposit, 0) + a.amount
    credits = [{"account": i, "amount": 0, "incoming": n} for i, n in sorted(incoming.items())]
    debits = [{"account": i, "amount": n, "incoming": 0} for i, n in sorted(outgoing.items())]
    if dialect == "sqlite":  # one writer: no lock order to keep, one call for all
        if credits or debits:
            moved = await conn.execute(_HOLD_ON, credits + debits)
            if moved.rowcount != len(credits) + len(debits):
                await _refuse_short_deposit(conn, company_id, deposits, outgoing)
    else:
        if credits:
            await conn.execute(_HOLD_ON, credits)
        for debit in debits:  # each deposit's own overdraft check
            if (await conn.execute(_HOLD_ON, debit)).rowcount != 1:
                await _refuse_short_deposit(conn, company_id, deposits, outgoing)
    for a in awards:  # keys used before: answered the one-at-a-time way
        if a.key not in claimed:
            await transfer(
                session,
                key=a.key,
                kind=a.kind,
                currency=a.currency,
                debit=deposits[a.currency],
                credit=wallets[a.member_id, a.currency],
                amount=a.amount,
                now=now,
                pending=True,
                resolve_at=a.until,
                on_timeout="post",
                purchase_id=a.purchase_id,
                reason=a.reason,
            )


async def _refuse_short_deposit(
    conn: AsyncConnection, company_id: int, deposits: dict[str, int], outgoing: dict[int, int]
) -> None:
    """Raise InsufficientDeposit for the first deposit short of its share."""
    for currency, deposit in sorted(deposits.items()):
        needed = outgoing.get(deposit, 0)
        posted, reserved = (
            await conn.execute(
                select(ACCOUNTS.c.posted, ACCOUNTS.c.pending_out).where(ACCOUNTS.c.id == deposit)
            )
        ).one()
        if needed and posted - reserved < needed:
            await _refuse(conn, deposit, AccountInfo(DEPOSIT, currency, company_id), needed)
    raise AssertionError("an award's account changed nowhere though every deposit covers it")
