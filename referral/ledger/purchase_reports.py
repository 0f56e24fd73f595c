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

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from referral.apikeys import ApiKeyRefused, key_alive
from referral.ledger.accounts import upsert
from referral.ledger.activity_models import Invite, Purchase
from referral.ledger.bookkeeping_models import CASHBACK, POINTS, Transfer
from referral.ledger.catalogue_models import Service
from referral.ledger.errors import InvalidBatch, LedgerError
from referral.ledger.invites import qualify_invite
from referral.ledger.posting_engine import PendingAward, award_pending
from referral.ledger.purchases import PurchaseRow, PurchaseService
from referral.ledger.rules import RuleSet, rules_of
from referral.models import Member
from referral.offers.models import ACCEPTED, ShownOffer
from referral.offers.payouts import pay_offer_cashback
from referral.stamps import version_of

PURCHASES = Purchase.__table__


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


@dataclass(frozen=True)
class _Terms:
    """What every purchase at one company reads the same, as of a change stamp:
    its catalogue (code -> service id, cashback override) and its rules."""

    version: int | None
    services: dict[str, tuple[int, int | None]]
    rules: RuleSet


@dataclass(frozen=True)
class _Buyer:
    member_id: int
    # Worth a closer look inside the transaction (rare, so read only then):
    may_have_offer_cashback: bool  # an accepted offer with extra cashback
    invite_undecided: bool  # invited, and no invite decided yet


class PurchaseReports:
    def __init__(self, db: async_sessionmaker[AsyncSession], purchases: PurchaseService) -> None:
        self.db = db
        self.purchases = purchases
        # company -> its catalogue and rules, re-read only when the offers stamp
        # (bumped by every catalogue and rules change) moved: it rides along
        # with the members query each request runs anyway.
        self._terms: dict[int, _Terms] = {}

    async def record(
        self, company_id: int, items: list[ReportedPurchase], key_id: str | None = None
    ) -> list[RecordedPurchase]:
        """Record the batch whole, or raise InvalidBatch / PurchaseIdReused /
        InsufficientDeposit having changed nothing. With ``key_id`` (the API key
        the partner sent), ApiKeyRefused if it was revoked, in the same transaction."""
        try:
            return await self._record(company_id, items, key_id)
        except IntegrityError:
            # Another request recorded one of these purchase ids between our read
            # and our insert (PostgreSQL; SQLite serialises writers): read again.
            return await self._record(company_id, items, key_id)

    async def _record(
        self, company_id: int, items: list[ReportedPurchase], key_id: str | None
    ) -> list[RecordedPurchase]:
        async with self.db.begin() as session:
            buyers, version, key_ok = await _buyers(session, items, key_id or "")
            if key_id is not None and not key_ok:
                raise ApiKeyRefused("revoked API key")
            terms = await self._terms_of(session, company_id, version)
            rows = _resolve(items, buyers, terms.services)
            counts = Counter(row.receipt for row in rows)
            fresh = [row for row in rows if counts[row.receipt] == 1]
            inserted = await self._insert_new(session, company_id, terms.rules, fresh, buyers)
            # Purchase ids recorded before, or sent twice in this batch (a sale and
            # its return): checked against what is stored, then one by one.
            rest = [row for row in rows if row.receipt not in inserted]
            if not rest:
                return [inserted[item.purchase_id] for item in items]
            known = await _known(session, company_id, [row.receipt for row in rest])
            _refuse_reuse(rest, known)
            before = {key: purchase.status for key, purchase in known.items()}
            for row in rest:
                await self.purchases.apply(session, company_id, terms.rules, row)
            again = await _read_back(
                session, company_id, [i for i in items if i.purchase_id not in inserted], before
            )
            return [inserted.get(i.purchase_id) or again[i.purchase_id] for i in items]

    async def _terms_of(
        self, session: AsyncSession, company_id: int, version: int | None
    ) -> _Terms:
        terms = self._terms.get(company_id)
        if terms is not None and version is not None and terms.version == version:
            return terms
        services = {
            code: (service_id, cashback_bp)
            for code, service_id, cashback_bp in await session.execute(
                select(Service.code, Service.id, Service.cashback_bp).where(
                    Service.company_id == company_id
                )
            )
        }
        terms = _Terms(version, services, await rules_of(session, company_id))
        if version is not None:
            if len(self._terms) > 10_000:  # companies are few; this only bounds memory
                self._terms.clear()
            self._terms[company_id] = terms
        return terms

    async def _insert_new(
        self,
        session: AsyncSession,
        company_id: int,
        rules: RuleSet,
        rows: list[PurchaseRow],
        buyers: dict[str, _Buyer],
    ) -> dict[str, RecordedPurchase]:
        """Insert the purchases whose ids are new (one multi-row INSERT that skips
        ids recorded before) and accrue their rewards: the recorded purchases by id."""
        if not rows:
            return {}
        now = self.purchases.ledger.clock()
        conn = await session.connection()
        ids = dict(
            (
                await conn.execute(
                    _insert_purchases(conn),
                    [row.columns(company_id, now) for row in rows],
                )
            ).all()
        )
        awards: list[PendingAward] = []
        recorded: dict[str, RecordedPurchase] = {}
        for row in rows:
            purchase_id = ids.get(row.receipt)
            if purchase_id is None:
                continue
            cashback = points = 0
            if not row.reversed:
                until, cashback, points = row.rewards(rules)
                for amount, currency, kind, reason, key in (
                    (cashback, CASHBACK, "cashback", "cashback", f"cashback:{purchase_id}"),
                    (points, POINTS, "purchase", "purchase", f"purchase:{purchase_id}"),
                ):
                    if amount:
                        awards.append(
                            PendingAward(
                                row.member_id,
                                currency,
                                amount,
                                key,
                                kind,
                                reason,
                                until,
                                purchase_id,
                            )
                        )
            recorded[row.receipt] = RecordedPurchase(
                purchase_id=row.receipt,
                member=row.client,
                service=row.service_code,
                amount_minor=row.amount,
                at=row.at,
                status="reversed" if row.reversed else "completed",
                cashback_minor=cashback,
                points=points,
                replayed=False,
            )
        await award_pending(session, company_id, awards, now)
        for row in rows:  # what only some purchases need, with the ORM row it takes
            buyer = buyers[row.client]
            if row.receipt not in ids or row.reversed:
                continue
            if not (buyer.may_have_offer_cashback or buyer.invite_undecided):
                continue
            purchase = await session.get_one(Purchase, ids[row.receipt])
            until, _, _ = row.rewards(rules)
            await pay_offer_cashback(session, self.purchases.ledger, purchase, until)
            await qualify_invite(session, self.purchases.ledger, purchase, rules, until)
        return recorded


# Prebuilt: a purchase request builds no SQL expression of its own.
_BUYERS = select(
    Member.pseudonym,
    Member.id,
    exists().where(
        ShownOffer.member_id == Member.id,
        ShownOffer.status == ACCEPTED,
        ShownOffer.extra_cashback_bp > 0,
    ),
    and_(Member.invited_by_id.is_not(None), ~exists().where(Invite.invitee_id == Member.id)),
    func.coalesce(version_of(), 0),
    key_alive(bindparam("key")),  # revoked keys are refused in this very transaction
).where(Member.pseudonym.in_(bindparam("codes", expanding=True)), Member.erased_at.is_(None))
_INSERT_PURCHASES: dict[str, Any] = {}


def _insert_purchases(conn: AsyncConnection):  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT (company, purchase id) DO NOTHING RETURNING:
    ids recorded before are skipped."""
    dialect = conn.dialect.name
    if dialect not in _INSERT_PURCHASES:
        _INSERT_PURCHASES[dialect] = (
            upsert(conn, PURCHASES)
            .on_conflict_do_nothing(index_elements=["company_id", "receipt"])
            .returning(PURCHASES.c.receipt, PURCHASES.c.id)
        )
    return _INSERT_PURCHASES[dialect]


async def _buyers(
    session: AsyncSession, items: list[ReportedPurchase], key_id: str
) -> tuple[dict[str, _Buyer], int | None, bool]:
    """The members named (by code), and read in the same statement the offers
    change stamp (None when no member matched, so nothing rode along) and
    whether API key ``key_id`` is unrevoked (read alone when no member matched)."""
    conn = await session.connection()
    codes = sorted({item.member.lower() for item in items})
    rows = (await conn.execute(_BUYERS, {"codes": codes, "key": key_id})).all()
    buyers = {
        code: _Buyer(member_id, bool(offer), bool(invite))
        for code, member_id, offer, invite, _, _ in rows
    }
    if not rows:
        return buyers, None, bool(await conn.scalar(select(key_alive(key_id))))
    return buyers, int(rows[0][4]), bool(rows[0][5])


def _resolve(
    items: list[ReportedPurchase],
    buyers: dict[str, _Buyer],
    services: dict[str, tuple[int, int | None]],
) -> list[PurchaseRow]:
    problems: list[tuple[tuple[str | int, ...], str]] = []
    seen: dict[tuple[str, bool], int] = {}
    rows = []
    for index, item in enumerate(items):
        buyer = buyers.get(item.member.lower())
        service = services.get(item.service)
        if buyer is None:
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
        if buyer is not None and service is not None:
            rows.append(
                PurchaseRow(
                    line=index,
                    member_id=buyer.member_id,
                    service_id=service[0],
                    cashback_bp=service[1],
                    amount=item.amount_minor,
                    at=_utc(item.at),
                    client=item.member.lower(),
                    receipt=item.purchase_id,
                    reversed=item.reversed,
                    service_code=item.service,
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
) -> dict[str, RecordedPurchase]:
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
    out = {}
    for item in items:
        purchase, code, cashback, points = found[item.purchase_id]
        out[item.purchase_id] = RecordedPurchase(
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
    return out
