"""What /wallet shows: balances per company and the last postings, as data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.ledger.bookkeeping_models import CASHBACK, POINTS, Account, Posting, Transfer
from referral.models import Company


@dataclass(frozen=True)
class Balance:
    company_id: int
    company: str
    points: int = 0  # available now
    points_reserved: int = 0  # held by open vouchers
    points_incoming: int = 0  # waiting out a return window
    cashback_minor: int = 0
    cashback_incoming: int = 0


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    currency: str
    amount: int  # + in, - out
    company: str


@dataclass(frozen=True)
class Wallet:
    balances: list[Balance]
    history: list[Entry]


class WalletService:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def wallet(self, member_id: int, last: int = 10) -> Wallet:
        async with self.db() as session:
            rows = (
                await session.execute(
                    select(Account, Company.name)
                    .join(Company, Account.company_id == Company.id)
                    .where(Account.member_id == member_id)
                    .order_by(Company.name)
                )
            ).all()
            by_company: dict[int, dict[str, object]] = {}
            for account, name in rows:
                entry = by_company.setdefault(account.company_id, {"company": name})
                if account.currency == POINTS:
                    entry["points"] = account.posted - account.pending_out
                    entry["points_reserved"] = account.pending_out
                    entry["points_incoming"] = account.pending_in
                elif account.currency == CASHBACK:
                    entry["cashback_minor"] = account.posted - account.pending_out
                    entry["cashback_incoming"] = account.pending_in
            history = (
                await session.execute(
                    select(
                        Posting.created_at,
                        Transfer.kind,
                        Account.currency,
                        Posting.amount,
                        Company.name,
                    )
                    .join(Transfer, Posting.transfer_id == Transfer.id)
                    .join(Account, Posting.account_id == Account.id)
                    .join(Company, Account.company_id == Company.id)
                    .where(Account.member_id == member_id)
                    .order_by(Posting.id.desc())
                    .limit(last)
                )
            ).all()
        return Wallet(
            [Balance(company_id=cid, **values) for cid, values in by_company.items()],  # type: ignore[arg-type]
            [Entry(*row) for row in history],
        )
