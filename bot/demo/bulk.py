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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, bindparam, func, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

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
    conn = await session.connection()
    stamp = _stamper(conn.dialect)
    purchase_id = await _next_id(session, Purchase)
    transfer_id = await _next_id(session, Transfer)
    purchases: list[tuple] = []
    transfers: list[tuple] = []
    entries: list[tuple] = []
    lots: list[tuple] = []
    moved: dict[int, int] = defaultdict(int)
    ttl = rules.points_ttl_days
    for row in rows:
        service_id, service_bp = services[row.service_code]
        at = row.at.isoformat()
        settled = row.at + timedelta(days=rules.return_window_days)
        at_stamp, settled_stamp = stamp(row.at), stamp(settled)
        receipt = receipt_key(
            {
                "client": row.client,
                "service": row.service_code,
                "amount": f"{row.amount_minor // 100}.{row.amount_minor % 100:02d}",
                "time": at,
            }
        )
        purchases.append(
            (purchase_id, company_id, row.member_id, service_id, row.amount_minor)
            + (at_stamp, row.client, receipt, "completed", at_stamp, None)
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
                (transfer_id, f"{kind}:{purchase_id}", kind, currency, debit, credit, amount)
                + ("posted", kind, settled_stamp, "post", None, purchase_id, at_stamp)
                + (settled_stamp,)
            )
            entries.append((transfer_id, debit, -amount, settled_stamp))
            entries.append((transfer_id, credit, amount, settled_stamp))
            if currency == POINTS:
                expires = stamp(settled + timedelta(days=ttl)) if ttl else None
                lots.append((credit, transfer_id, amount, amount, None, expires))
            moved[debit] -= amount
            moved[credit] += amount
            transfer_id += 1
        purchase_id += 1
    await _check_deposits(session, company_code, company_id, deposits, moved)
    await _insert(conn, Purchase, _PURCHASE_COLUMNS, purchases)
    await _insert(conn, Transfer, _TRANSFER_COLUMNS, transfers)
    await _insert(conn, Posting, _POSTING_COLUMNS, entries)
    await _insert(conn, Lot, _LOT_COLUMNS, lots)
    table = Account.__table__
    await conn.execute(
        update(table)
        .where(table.c.id == bindparam("account"))
        .values(posted=table.c.posted + bindparam("delta")),
        [{"account": account, "delta": delta} for account, delta in moved.items()],
    )
    return len(purchases)


_PURCHASE_COLUMNS = (
    "id", "company_id", "member_id", "service_id", "amount_minor", "purchased_at",
    "client_ref", "receipt", "status", "imported_at", "reversed_at",
)  # fmt: skip
_TRANSFER_COLUMNS = (
    "id", "key", "kind", "currency", "debit_id", "credit_id", "amount", "status", "reason",
    "resolve_at", "on_timeout", "reverses_id", "purchase_id", "created_at", "resolved_at",
)  # fmt: skip
_POSTING_COLUMNS = ("transfer_id", "account_id", "amount", "created_at")
_LOT_COLUMNS = ("account_id", "transfer_id", "amount", "remaining", "reminded_at", "expires_at")


def _stamper(dialect: Dialect) -> Callable[[datetime], Any]:
    """How the dialect stores a timestamp (SQLAlchemy's own bind processor),
    applied here once per value: handing rows of tuples to the driver skips
    SQLAlchemy's per-value parameter processing, which took most of the time."""
    process = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    return process or (lambda value: value)


async def _insert(conn: AsyncConnection, model: type, columns: tuple[str, ...], rows: list) -> None:
    """One executemany of plain tuples, straight to the driver (qmark style: SQLite)."""
    if not rows:
        return
    if conn.dialect.paramstyle != "qmark":
        # The demo's database is always the SQLite file under DATA_DIR/demo.
        raise ValueError(f"the demo writes its bulk history to SQLite, not {conn.dialect.name}")
    table = model.__table__
    names = ", ".join(table.c[column].name for column in columns)
    marks = ", ".join("?" * len(columns))
    await conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)


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
