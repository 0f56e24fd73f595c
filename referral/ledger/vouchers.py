"""Spending points: a one-time voucher reserves them, the partner redeems it.

Codes are 8 characters of a 31-letter alphabet (about 2^39 codes), so
guessing is hopeless, and an actor with 10 failed redemptions in an hour is
refused for the rest of it. Issuing is idempotent by the caller's key (a
replayed button press issues nothing new). An unredeemed voucher is voided
by the timeout job at ``expires_at``, which frees the points.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.ledger.accounts import MEMBER, REDEEMED, account
from referral.ledger.activity_models import Voucher, VoucherAttempt
from referral.ledger.bookkeeping_models import POINTS, Transfer
from referral.ledger.catalogue_models import Service
from referral.ledger.discounts import points_for, quote_services
from referral.ledger.errors import UnknownService, VoucherRefused
from referral.ledger.ledger import Ledger
from referral.ledger.posting_engine import aware, resolve, transfer
from referral.ledger.rules import rules_of
from referral.models import Company, Member

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
MAX_FAILURES = 10


@dataclass(frozen=True)
class Offer:
    service_id: int
    name: str
    company: str
    points: int


@dataclass(frozen=True)
class Redeemed:
    code: str
    points: int
    service: str
    member_code: str


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(8))


class VoucherService:
    def __init__(self, db: async_sessionmaker[AsyncSession], ledger: Ledger) -> None:
        self.db = db
        self.ledger = ledger

    async def offers(self, member_id: int, company_id: int) -> list[Offer]:
        """Services of a company the member could spend points on, with their price in points."""
        async with self.db() as session:
            rules = await rules_of(session, company_id)
            company = await session.get_one(Company, company_id)
            services = (
                await session.scalars(
                    select(Service)
                    .where(Service.company_id == company_id, Service.active)
                    .order_by(Service.name)
                )
            ).all()
            prices = await quote_services(session, [s.id for s in services]) if services else None
        offers = []
        for service, line in zip(services, prices.lines if prices else [], strict=True):
            offers.append(
                Offer(
                    service.id,
                    service.name,
                    company.name,
                    points_for(line.price_minor, rules.point_value_minor),
                )
            )
        return offers

    async def issue(self, member_id: int, service_id: int, key: str) -> Voucher:
        """Reserve the service's price in points; the same key returns the same voucher."""
        now = self.ledger.clock()
        async with self.db.begin() as session:
            service = await session.get(Service, service_id)
            if service is None or not service.active:
                raise UnknownService(f"no service {service_id}")
            rules = await rules_of(session, service.company_id)
            line = (await quote_services(session, [service.id])).lines[0]
            points = points_for(line.price_minor, rules.point_value_minor)
            debit = await account(session, MEMBER, POINTS, service.company_id, member_id)
            credit = await account(session, REDEEMED, POINTS, service.company_id)
            expires = now + timedelta(hours=rules.voucher_ttl_hours)
            made_id, created = await transfer(
                session,
                key=f"voucher:{key}",
                kind="spend",
                currency=POINTS,
                debit=debit,
                credit=credit,
                amount=points,
                now=now,
                pending=True,
                resolve_at=expires,
                on_timeout="void",
                reason=f"voucher for {service.code}",
            )
            if not created:
                return await session.scalar(select(Voucher).where(Voucher.transfer_id == made_id))
            voucher = Voucher(
                code=new_code(),
                member_id=member_id,
                company_id=service.company_id,
                service_id=service.id,
                points=points,
                transfer_id=made_id,
                created_at=now,
                expires_at=expires,
            )
            session.add(voucher)
        return voucher

    async def redeem(self, code: str, actor: str, company_ids: frozenset[int] | None) -> Redeemed:
        """Post a voucher's points; ``company_ids`` limits a partner to its own (None: operator)."""
        now = self.ledger.clock()
        async with self.db.begin() as session:
            failures = await session.scalar(
                select(func.count(VoucherAttempt.id)).where(
                    VoucherAttempt.actor == actor, VoucherAttempt.at > now - timedelta(hours=1)
                )
            )
            if (failures or 0) >= MAX_FAILURES:
                raise VoucherRefused("too_many_attempts")
            voucher = await session.scalar(
                select(Voucher).where(Voucher.code == code.strip().upper())
            )
            if voucher is None or (
                company_ids is not None and voucher.company_id not in company_ids
            ):
                session.add(VoucherAttempt(actor=actor, at=now))
                reason = "unknown"
            else:
                made = await session.scalar(
                    select(Transfer)
                    .where(Transfer.id == voucher.transfer_id)
                    .with_for_update(key_share=True)
                    .execution_options(populate_existing=True)
                )
                reason = {"posted": "already_redeemed", "voided": "expired"}.get(made.status, "")
                if not reason and aware(voucher.expires_at) <= now:
                    await resolve(session, made, False, now)
                    reason = "expired"
                if not reason:
                    await resolve(session, made, True, now)
                    service = await session.get_one(Service, voucher.service_id)
                    member = await session.get_one(Member, voucher.member_id)
                    return Redeemed(voucher.code, voucher.points, service.name, member.pseudonym)
        raise VoucherRefused(reason)
