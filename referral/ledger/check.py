"""`refbot ledger check`: every invariant of the ledger, verified from the rows.

Returns the violations found, in words; an empty list means the books hold.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.ledger.bookkeeping_models import POINTS, Account, Lot, Posting, Transfer


class LedgerCheck:
    """``refbot ledger check`` as a service: every invariant, one problem per line."""

    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def run(self) -> list[str]:
        return await check(self.db)


async def check(db: async_sessionmaker[AsyncSession]) -> list[str]:
    async with db() as session:
        return [
            *await _balances_equal_postings(session),
            *await _transfers_balanced(session),
            *await _pending_totals(session),
            *await _lots_cover_wallets(session),
        ]


async def _balances_equal_postings(session: AsyncSession) -> list[str]:
    sums = dict(
        (
            await session.execute(
                select(Posting.account_id, func.sum(Posting.amount)).group_by(Posting.account_id)
            )
        ).all()
    )
    problems = []
    for account in await session.scalars(select(Account)):
        if account.posted != (sums.get(account.id) or 0):
            problems.append(
                f"account {account.code}: balance {account.posted} but postings "
                f"sum to {sums.get(account.id) or 0}"
            )
        if account.kind != "funding" and account.posted - account.pending_out < 0:
            problems.append(
                f"account {account.code}: below zero "
                f"({account.posted} posted, {account.pending_out} reserved)"
            )
    for currency, total in (
        await session.execute(
            select(Account.currency, func.sum(Posting.amount))
            .join(Account, Posting.account_id == Account.id)
            .group_by(Account.currency)
        )
    ).all():
        if total:
            problems.append(f"{currency}: debits and credits differ by {total}")
    return problems


async def _transfers_balanced(session: AsyncSession) -> list[str]:
    rows = (
        await session.execute(
            select(
                Transfer.key,
                Transfer.status,
                Transfer.amount,
                Transfer.debit_id,
                Transfer.credit_id,
                func.count(Posting.id),
                func.coalesce(func.sum(Posting.amount), 0),
                func.coalesce(func.max(Posting.amount), 0),
                func.coalesce(func.min(Posting.amount), 0),
            )
            .outerjoin(Posting, Posting.transfer_id == Transfer.id)
            .group_by(Transfer.id)
        )
    ).all()
    problems = []
    for key, status, amount, _debit, _credit, count, total, high, low in rows:
        if status == "posted" and (count, total, high, low) != (2, 0, amount, -amount):
            problems.append(f"transfer {key}: posted but its postings do not balance")
        if status != "posted" and count:
            problems.append(f"transfer {key}: {status} yet has postings")
    for key, debit, credit, account in (
        await session.execute(
            select(Transfer.key, Transfer.debit_id, Transfer.credit_id, Posting.account_id)
            .join(Posting, Posting.transfer_id == Transfer.id)
            .where(
                Posting.account_id != Transfer.debit_id, Posting.account_id != Transfer.credit_id
            )
        )
    ).all():
        problems.append(f"transfer {key}: a posting on account {account}, not {debit} or {credit}")
    return problems


async def _pending_totals(session: AsyncSession) -> list[str]:
    out = dict(
        (
            await session.execute(
                select(Transfer.debit_id, func.sum(Transfer.amount))
                .where(Transfer.status == "pending")
                .group_by(Transfer.debit_id)
            )
        ).all()
    )
    into = dict(
        (
            await session.execute(
                select(Transfer.credit_id, func.sum(Transfer.amount))
                .where(Transfer.status == "pending")
                .group_by(Transfer.credit_id)
            )
        ).all()
    )
    problems = []
    for account in await session.scalars(select(Account)):
        if account.pending_out != (out.get(account.id) or 0):
            problems.append(
                f"account {account.code}: {account.pending_out} reserved, but pending "
                f"transfers hold {out.get(account.id) or 0}"
            )
        if account.pending_in != (into.get(account.id) or 0):
            problems.append(
                f"account {account.code}: {account.pending_in} incoming, but pending "
                f"transfers bring {into.get(account.id) or 0}"
            )
    return problems


async def _lots_cover_wallets(session: AsyncSession) -> list[str]:
    lots = dict(
        (
            await session.execute(
                select(Lot.account_id, func.sum(Lot.remaining)).group_by(Lot.account_id)
            )
        ).all()
    )
    problems = []
    for account in await session.scalars(
        select(Account).where(Account.kind == "member", Account.currency == POINTS)
    ):
        available = account.posted - account.pending_out
        if available != (lots.get(account.id) or 0):
            problems.append(
                f"account {account.code}: {available} available, but its lots hold "
                f"{lots.get(account.id) or 0}"
            )
    return problems
