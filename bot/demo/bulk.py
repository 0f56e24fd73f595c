"""A partner's settled history written in bulk: purchases whose return window
closed long ago, with the rewards the ledger would have posted for them.

PurchaseService.import_csv followed by the timeout job takes about 6 ms a
purchase on SQLite (a claim, two balance updates and a flush per reward, then
a transaction per settlement): minutes for the demo's year of history. Here
the same rows are built in memory and inserted with one statement per table:
for each purchase, its cashback and purchase points as posted transfers with
their two postings (and a lot for points), keyed as the service keys them
(``cashback:<purchase id>``, ``purchase:<purchase id>``), and the balances
moved by the sums. `refbot ledger check` verifies the result from the rows;
the demo's tests run it.

Only for a fresh company: it assumes no concurrent writer and no earlier
rewards on these purchases (the caller holds the one SQLite write lock).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from referral.ledger import accounts
from referral.ledger.activity_models import Purchase
from referral.ledger.bookkeeping_models import CASHBACK, POINTS, Account, Lot, Posting, Transfer
from referral.ledger.catalogue_models import Service
from referral.ledger.errors import InsufficientDeposit
from referral.ledger.purchases import receipt_key
from referral.ledger.rules import rules_of


@dataclass(frozen=True)
class SettledPurchase:
    member_id: int
    client: str  # the member's pseudonym, as the partner's file names them
    service_code: str
    amount_minor: int
    at: datetime


async def write_history(
    session: AsyncSession, company_id: int, company_code: str, rows: list[SettledPurchase]
) -> int:
    """Insert the purchases and their posted rewards; how many purchases."""
    if not rows:
        return 0
    rules = await rules_of(session, company_id)
    services = {
        code: (service_id, bp)
        for code, service_id, bp in await session.execute(
            select(Service.code, Service.id, Service.cashback_bp).where(
                Service.company_id == company_id
            )
        )
    }
    deposits = {
        currency: await accounts.account(session, accounts.DEPOSIT, currency, company_id)
        for currency in (POINTS, CASHBACK)
    }
    wallets = await _wallets(session, company_id, {row.member_id for row in rows})
    purchase_id = await _next_id(session, Purchase)
    transfer_id = await _next_id(session, Transfer)
    purchases: list[dict[str, Any]] = []
    transfers: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    lots: list[dict[str, Any]] = []
    moved: dict[int, int] = defaultdict(int)
    for row in rows:
        service_id, service_bp = services[row.service_code]
        settled = row.at + timedelta(days=rules.return_window_days)
        amount_text = f"{row.amount_minor // 100}.{row.amount_minor % 100:02d}"
        receipt = receipt_key(
            {
                "client": row.client,
                "service": row.service_code,
                "amount": amount_text,
                "time": row.at.isoformat(),
            }
        )
        purchases.append(
            {
                "id": purchase_id,
                "company_id": company_id,
                "member_id": row.member_id,
                "service_id": service_id,
                "amount_minor": row.amount_minor,
                "purchased_at": row.at,
                "client_ref": row.client,
                "receipt": receipt,
                "status": "completed",
                "imported_at": row.at,
                "reversed_at": None,
            }
        )
        bp = rules.cashback_bp if service_bp is None else service_bp
        rewards = (
            ("cashback", CASHBACK, row.amount_minor * bp // 10_000),
            ("purchase", POINTS, rules.purchase_points),
        )
        for kind, currency, amount in rewards:
            if amount <= 0:
                continue
            debit, credit = deposits[currency], wallets[row.member_id, currency]
            transfers.append(
                {
                    "id": transfer_id,
                    "key": f"{kind}:{purchase_id}",
                    "kind": kind,
                    "currency": currency,
                    "debit_id": debit,
                    "credit_id": credit,
                    "amount": amount,
                    "status": "posted",
                    "reason": kind,
                    "resolve_at": settled,
                    "on_timeout": "post",
                    "reverses_id": None,
                    "purchase_id": purchase_id,
                    "created_at": row.at,
                    "resolved_at": settled,
                }
            )
            entries += [
                {"transfer_id": transfer_id, "account_id": debit, "amount": -amount},
                {"transfer_id": transfer_id, "account_id": credit, "amount": amount},
            ]
            for entry in entries[-2:]:
                entry["created_at"] = settled
            if currency == POINTS:
                ttl = rules.points_ttl_days
                lots.append(
                    {
                        "account_id": credit,
                        "transfer_id": transfer_id,
                        "amount": amount,
                        "remaining": amount,
                        "reminded_at": None,
                        "expires_at": settled + timedelta(days=ttl) if ttl else None,
                    }
                )
            moved[debit] -= amount
            moved[credit] += amount
            transfer_id += 1
        purchase_id += 1
    await _check_deposits(session, company_code, company_id, deposits, moved)
    conn = await session.connection()
    await conn.execute(insert(Purchase.__table__), purchases)
    await conn.execute(insert(Transfer.__table__), transfers)
    await conn.execute(insert(Posting.__table__), entries)
    if lots:
        await conn.execute(insert(Lot.__table__), lots)
    table = Account.__table__
    await conn.execute(
        update(table)
        .where(table.c.id == bindparam("account"))
        .values(posted=table.c.posted + bindparam("delta")),
        [{"account": account, "delta": delta} for account, delta in moved.items()],
    )
    return len(purchases)


async def _wallets(
    session: AsyncSession, company_id: int, member_ids: set[int]
) -> dict[tuple[int, str], int]:
    """Each member's points and cashback wallet at the company, created together."""
    table = Account.__table__
    existing = {
        (member_id, currency): account_id
        for account_id, member_id, currency in await session.execute(
            select(table.c.id, table.c.member_id, table.c.currency).where(
                table.c.company_id == company_id, table.c.kind == accounts.MEMBER
            )
        )
    }
    missing = [
        {
            "code": accounts.account_code(accounts.MEMBER, currency, company_id, member_id),
            "kind": accounts.MEMBER,
            "currency": currency,
            "company_id": company_id,
            "member_id": member_id,
            "posted": 0,
            "pending_out": 0,
            "pending_in": 0,
        }
        for member_id in sorted(member_ids)
        for currency in (POINTS, CASHBACK)
        if (member_id, currency) not in existing
    ]
    if missing:
        await session.execute(insert(table), missing)
        return await _wallets(session, company_id, member_ids)
    return existing


async def _next_id(session: AsyncSession, model: type) -> int:
    return (await session.scalar(select(func.max(model.id))) or 0) + 1


async def _check_deposits(
    session: AsyncSession,
    company_code: str,
    company_id: int,
    deposits: dict[str, int],
    moved: dict[int, int],
) -> None:
    for currency, account_id in deposits.items():
        available = await session.scalar(
            select(Account.posted - Account.pending_out).where(Account.id == account_id)
        )
        needed = -moved.get(account_id, 0)
        if (available or 0) < needed:
            raise InsufficientDeposit(company_code, currency, available or 0, needed, company_id)
