"""Client cards in: the one domain function every source calls (the HTTP API
now; Bitrix24 and amoCRM webhooks through the same path).

A card names the member by the code they see in /wallet (their pseudonym).
A known, live member's card becomes a *pending* lead; an unknown or absent
code keeps the card as anonymous training data only. The partner's deal id
makes a resent card answer as the first one did and change nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.errors import DomainError
from referral.leads.models import ClientCard
from referral.leads.states import PENDING, entered
from referral.ledger.catalogue_models import Service
from referral.models import Member
from referral.offers.models import Lead


class UnknownServices(DomainError):
    """The card names service codes that are not in the company's catalogue."""

    def __init__(self, codes: Sequence[str]) -> None:
        super().__init__("unknown service codes: " + ", ".join(codes))
        self.codes = list(codes)


@dataclass(frozen=True)
class CardIn:
    external_id: str  # the partner's own deal id
    service_codes: tuple[str, ...]
    amount_minor: int
    won: bool
    member_code: str | None = None
    source: str = "api"


@dataclass(frozen=True)
class CardReceipt:
    card_id: int
    lead_id: int | None  # None: anonymous training data, no lead
    duplicate: bool = False


async def receive_card(
    db: async_sessionmaker[AsyncSession],
    company_id: int,
    card: CardIn,
    now: datetime | None = None,
) -> CardReceipt:
    """Store one card (and its pending lead when the member is known); idempotent."""
    now = now or datetime.now(UTC)
    seen = await _existing(db, company_id, card.external_id)
    if seen is not None:
        return seen
    try:
        async with db.begin() as session:
            return await _store(session, company_id, card, now)
    except IntegrityError:
        # The same deal id arrived twice at once: the other request stored it.
        seen = await _existing(db, company_id, card.external_id)
        if seen is None:
            raise
        return seen


async def _store(
    session: AsyncSession, company_id: int, card: CardIn, now: datetime
) -> CardReceipt:
    codes = tuple(dict.fromkeys(card.service_codes))
    found = dict(
        (
            await session.execute(
                select(Service.code, Service.id).where(
                    Service.company_id == company_id, Service.code.in_(codes)
                )
            )
        ).all()
    )
    missing = [code for code in codes if code not in found]
    if missing:
        raise UnknownServices(missing)
    member_id = None
    if card.member_code:
        member_id = await session.scalar(
            select(Member.id).where(
                Member.pseudonym == card.member_code, Member.erased_at.is_(None)
            )
        )
    row = ClientCard(
        company_id=company_id,
        external_id=card.external_id,
        member_id=member_id,
        services=",".join(str(found[code]) for code in codes),
        amount_minor=card.amount_minor,
        deal_won=card.won,
        source=card.source,
        received_at=now,
    )
    session.add(row)
    await session.flush()
    if member_id is None:
        return CardReceipt(row.id, None)
    lead = Lead(card_id=row.id, member_id=member_id, status=PENDING, created_at=now, updated_at=now)
    session.add(lead)
    await session.flush()
    session.add(entered(lead.id, PENDING, f"client card from {card.source}", now))
    return CardReceipt(row.id, lead.id)


async def _existing(
    db: async_sessionmaker[AsyncSession], company_id: int, external_id: str
) -> CardReceipt | None:
    async with db() as session:
        found = (
            await session.execute(
                select(ClientCard.id, Lead.id)
                .outerjoin(Lead, Lead.card_id == ClientCard.id)
                .where(ClientCard.company_id == company_id, ClientCard.external_id == external_id)
            )
        ).first()
    return None if found is None else CardReceipt(found[0], found[1], duplicate=True)
