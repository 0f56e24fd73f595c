"""Purchases reported by partners: `refbot purchases import FILE.csv --company CODE`.

Columns: client (the member code shown in /wallet: their pseudonym), service
(a catalogue code), amount (roubles), time (ISO 8601; no offset means UTC),
optional receipt (the partner's id of the sale) and status (completed or
reversed).

A file is applied whole, in one transaction, or not at all: every malformed
row is reported with its line number and nothing changes; a partner deposit
too small for the rewards refuses the whole file too. Each row's idempotency
key is its receipt, or a digest of client, service, amount and time, so
importing the same file twice changes nothing. A row with status reversed
marks an earlier purchase reversed, which voids its rewards still waiting out
the return window (cashback, purchase points, the invite reward); rewards
posted after the window stand.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.companies import by_code
from referral.ledger.activity_models import Invite, Purchase
from referral.ledger.bookkeeping_models import CASHBACK, POINTS, Transfer
from referral.ledger.catalogue_models import Service
from referral.ledger.csvfile import parse_money, parse_time, read_rows
from referral.ledger.errors import InvalidFile
from referral.ledger.invites import qualify_invite
from referral.ledger.ledger import Ledger
from referral.ledger.posting_engine import resolve
from referral.ledger.rules import RuleSet, rules_of
from referral.models import Member
from referral.offers.payouts import pay_offer_cashback

REQUIRED = ("client", "service", "amount", "time")


@dataclass(frozen=True)
class ImportReport:
    added: int
    reversed: int
    unchanged: int


@dataclass(frozen=True)
class PurchaseRow:
    """One purchase checked against the catalogue and the members, ready to apply."""

    line: int
    member_id: int
    service_id: int
    cashback_bp: int | None
    amount: int
    at: datetime
    client: str
    receipt: str
    reversed: bool
    service_code: str = ""

    def columns(self, company_id: int, now: datetime) -> dict[str, object]:
        """The purchases row it is recorded as."""
        return dict(
            company_id=company_id,
            member_id=self.member_id,
            service_id=self.service_id,
            amount_minor=self.amount,
            purchased_at=self.at,
            client_ref=self.client,
            receipt=self.receipt,
            imported_at=now,
            status="reversed" if self.reversed else "completed",
            reversed_at=now if self.reversed else None,
        )

    def rewards(self, rules: RuleSet) -> tuple[datetime, int, int]:
        """When its rewards stop waiting (the return window's end), its cashback, its points."""
        bp = rules.cashback_bp if self.cashback_bp is None else self.cashback_bp
        until = self.at + timedelta(days=rules.return_window_days)
        return until, self.amount * bp // 10_000, rules.purchase_points


class PurchaseService:
    def __init__(self, db: async_sessionmaker[AsyncSession], ledger: Ledger) -> None:
        self.db = db
        self.ledger = ledger

    async def import_csv(self, company_code: str, data: bytes | str) -> ImportReport:
        rows = read_rows(data, REQUIRED)
        async with self.db.begin() as session:
            company = await by_code(session, company_code)
            parsed = await _validate(session, company.id, rows)
            rules = await rules_of(session, company.id)
            added = reversed_ = unchanged = 0
            for row in parsed:
                outcome = await self.apply(session, company.id, rules, row)
                added += outcome == "added"
                reversed_ += outcome == "reversed"
                unchanged += outcome == "unchanged"
        return ImportReport(added, reversed_, unchanged)

    async def apply(
        self, session: AsyncSession, company_id: int, rules: RuleSet, row: PurchaseRow
    ) -> str:
        """Record one purchase and accrue its rewards in ``session``: "added",
        "reversed" (an earlier purchase), or "unchanged" (already recorded)."""
        now = self.ledger.clock()
        known = await session.scalar(
            select(Purchase)
            .where(Purchase.company_id == company_id, Purchase.receipt == row.receipt)
            .with_for_update()
        )
        if known is not None:
            if row.reversed and known.status == "completed":
                await reverse_purchase(session, known, now)
                return "reversed"
            return "unchanged"
        purchase = Purchase(**row.columns(company_id, now))
        session.add(purchase)
        await session.flush()
        if row.reversed:
            return "added"
        until, cashback, points = row.rewards(rules)
        if cashback:
            await self.ledger.award_in(
                session,
                row.member_id,
                company_id,
                cashback,
                "cashback",
                f"cashback:{purchase.id}",
                kind="cashback",
                currency=CASHBACK,
                pending_until=until,
                purchase_id=purchase.id,
            )
        if points:
            await self.ledger.award_in(
                session,
                row.member_id,
                company_id,
                points,
                "purchase",
                f"purchase:{purchase.id}",
                kind="purchase",
                currency=POINTS,
                pending_until=until,
                purchase_id=purchase.id,
            )
        await pay_offer_cashback(session, self.ledger, purchase, until)
        await qualify_invite(session, self.ledger, purchase, rules, until)
        return "added"


async def reverse_purchase(session: AsyncSession, purchase: Purchase, now: datetime) -> int:
    """Mark a purchase reversed and void its rewards still pending; how many were voided."""
    purchase.status, purchase.reversed_at = "reversed", now
    pending = (
        await session.scalars(
            select(Transfer)
            .where(Transfer.purchase_id == purchase.id, Transfer.status == "pending")
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    ).all()
    for made in pending:
        await resolve(session, made, False, now)
    await session.execute(
        update(Invite)
        .where(Invite.purchase_id == purchase.id, Invite.status == "awarded")
        .values(status="voided")
    )
    return len(pending)


def receipt_key(row: dict[str, str]) -> str:
    if row.get("receipt"):
        return row["receipt"][:64]
    basis = "|".join(row[k] for k in REQUIRED)
    return "sha:" + hashlib.sha256(basis.encode()).hexdigest()[:40]


async def _validate(
    session: AsyncSession, company_id: int, rows: list[tuple[int, dict[str, str]]]
) -> list[PurchaseRow]:
    services = {
        s.code: s
        for s in await session.scalars(select(Service).where(Service.company_id == company_id))
    }
    clients = {r["client"].lower() for _, r in rows}
    members = dict(
        (
            await session.execute(
                select(Member.pseudonym, Member.id).where(
                    Member.pseudonym.in_(clients), Member.erased_at.is_(None)
                )
            )
        ).all()
    )
    problems: list[tuple[int, str]] = []
    parsed: list[PurchaseRow] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in rows:
        try:
            client = row["client"].lower()
            if client not in members:
                raise ValueError(f"no member with code {row['client']!r}")
            service = services.get(row["service"])
            if service is None:
                raise ValueError(f"no service {row['service']!r} in the catalogue")
            amount = parse_money(row["amount"])
            if amount <= 0:
                raise ValueError("amount must be above zero")
            status = (row.get("status") or "completed").lower()
            if status not in ("completed", "reversed"):
                raise ValueError(f"status must be completed or reversed, not {status!r}")
            key = receipt_key(row)
            if (key, status) in seen:
                raise ValueError(f"the same purchase as line {seen[key, status]}")
            seen[key, status] = line
            parsed.append(
                PurchaseRow(
                    line,
                    members[client],
                    service.id,
                    service.cashback_bp,
                    amount,
                    parse_time(row["time"]),
                    client,
                    key,
                    status == "reversed",
                )
            )
        except ValueError as error:
            problems.append((line, str(error)))
    if problems:
        raise InvalidFile(problems)
    return parsed
