"""Purchases a partner's system reports one by one or in batches (the HTTP API).

The same ledger path as `refbot purchases import`: the partner's purchase id
is the receipt, the idempotency key, so a CSV row and an API call naming the
same purchase are one purchase. A batch is applied whole, in one transaction,
or not at all; each item's problem is reported at its index. The same purchase
id sent again with the same facts changes nothing and reads back as the first
time did; with other facts it is refused (``PurchaseIdReused``), since
silently keeping either version would lose the partner's mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.ledger.activity_models import Purchase
from referral.ledger.bookkeeping_models import Transfer
from referral.ledger.catalogue_models import Service
from referral.ledger.errors import InvalidBatch, LedgerError
from referral.ledger.purchases import PurchaseRow, PurchaseService
from referral.ledger.rules import rules_of
from referral.models import Member


class PurchaseIdReused(LedgerError):
    """A purchase id already recorded with another member, service, amount or time."""


@dataclass(frozen=True)
class ReportedPurchase:
    purchase_id: str
    member: str  # the member code shown in /wallet
    service: str  # a catalogue code
    amount_minor: int
    at: datetime
    reversed: bool = False


@dataclass(frozen=True)
class RecordedPurchase:
    purchase_id: str
    member: str
    service: str
    amount_minor: int
    at: datetime
    status: str  # completed or reversed
    cashback_minor: int  # accrued for it (pending until the return window ends, then posted)
    points: int
    replayed: bool  # already recorded as sent: nothing changed


class PurchaseReports:
    def __init__(self, db: async_sessionmaker[AsyncSession], purchases: PurchaseService) -> None:
        self.db = db
        self.purchases = purchases

    async def record(
        self, company_id: int, items: list[ReportedPurchase]
    ) -> list[RecordedPurchase]:
        """Record the batch whole, or raise InvalidBatch / PurchaseIdReused /
        InsufficientDeposit having changed nothing."""
        try:
            return await self._record(company_id, items)
        except IntegrityError:
            # Another request recorded one of these purchase ids between our read
            # and our insert (PostgreSQL; SQLite serialises writers): read again.
            return await self._record(company_id, items)

    async def _record(
        self, company_id: int, items: list[ReportedPurchase]
    ) -> list[RecordedPurchase]:
        async with self.db.begin() as session:
            rows = await _resolve(session, company_id, items)
            known = await _known(session, company_id, [item.purchase_id for item in items])
            _refuse_reuse(rows, known)
            before = {key: purchase.status for key, purchase in known.items()}
            rules = await rules_of(session, company_id)
            for row in rows:
                await self.purchases.apply(session, company_id, rules, row)
            return await _read_back(session, company_id, items, before)


async def _resolve(
    session: AsyncSession, company_id: int, items: list[ReportedPurchase]
) -> list[PurchaseRow]:
    services = {
        s.code: s
        for s in await session.scalars(
            select(Service).where(
                Service.company_id == company_id,
                Service.code.in_({item.service for item in items}),
            )
        )
    }
    codes = {item.member.lower() for item in items}
    members = dict(
        (
            await session.execute(
                select(Member.pseudonym, Member.id).where(
                    Member.pseudonym.in_(codes), Member.erased_at.is_(None)
                )
            )
        ).all()
    )
    problems: list[tuple[tuple[str | int, ...], str]] = []
    seen: dict[tuple[str, bool], int] = {}
    rows = []
    for index, item in enumerate(items):
        member = members.get(item.member.lower())
        service = services.get(item.service)
        if member is None:
            problems.append((("purchases", index, "member"), f"no member {item.member!r}"))
        if service is None:
            problems.append(
                (("purchases", index, "service"), f"no service {item.service!r} in the catalogue")
            )
        twin = seen.setdefault((item.purchase_id, item.reversed), index)
        if twin != index:
            problems.append(
                (("purchases", index, "purchase_id"), f"the same purchase as item {twin}")
            )
        if member is not None and service is not None:
            rows.append(
                PurchaseRow(
                    line=index,
                    member_id=member,
                    service_id=service.id,
                    cashback_bp=service.cashback_bp,
                    amount=item.amount_minor,
                    at=_utc(item.at),
                    client=item.member.lower(),
                    receipt=item.purchase_id,
                    reversed=item.reversed,
                )
            )
    if problems:
        raise InvalidBatch(problems)
    return rows


def _utc(moment: datetime) -> datetime:
    """Aware and in UTC: SQLite keeps a datetime's wall time and drops its offset."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _known(session: AsyncSession, company_id: int, keys: list[str]) -> dict[str, Purchase]:
    found = await session.scalars(
        select(Purchase).where(Purchase.company_id == company_id, Purchase.receipt.in_(keys))
    )
    return {purchase.receipt: purchase for purchase in found}


def _refuse_reuse(rows: list[PurchaseRow], known: dict[str, Purchase]) -> None:
    for row in rows:
        purchase = known.get(row.receipt)
        if purchase is None:
            continue
        stored_at = _utc(purchase.purchased_at)  # SQLite hands back naive UTC
        stored = (purchase.member_id, purchase.service_id, purchase.amount_minor, stored_at)
        if stored != (row.member_id, row.service_id, row.amount, row.at):
            raise PurchaseIdReused(
                f"purchase {row.receipt!r} (item {row.line}) was recorded with another "
                "member, service, amount or time; send a new purchase id"
            )


async def _read_back(
    session: AsyncSession,
    company_id: int,
    items: list[ReportedPurchase],
    before: dict[str, str],
) -> list[RecordedPurchase]:
    """The batch as recorded, in one query: purchase, service code, live rewards."""

    def accrued(kind: str):  # type: ignore[no-untyped-def]
        return (
            select(func.coalesce(func.sum(Transfer.amount), 0))
            .where(
                Transfer.purchase_id == Purchase.id,
                Transfer.kind == kind,
                Transfer.status != "voided",
            )
            .scalar_subquery()
        )

    rows = await session.execute(
        select(Purchase, Service.code, accrued("cashback"), accrued("purchase"))
        .join(Service, Service.id == Purchase.service_id)
        .where(
            Purchase.company_id == company_id,
            Purchase.receipt.in_([item.purchase_id for item in items]),
        )
    )
    found = {
        purchase.receipt: (purchase, code, cash, points) for purchase, code, cash, points in rows
    }
    out = []
    for item in items:
        purchase, code, cashback, points = found[item.purchase_id]
        out.append(
            RecordedPurchase(
                purchase_id=purchase.receipt,
                member=purchase.client_ref,
                service=code,
                amount_minor=purchase.amount_minor,
                at=_utc(purchase.purchased_at),
                status=purchase.status,
                cashback_minor=int(cashback),
                points=int(points),
                replayed=before.get(item.purchase_id) == purchase.status,
            )
        )
    return out
