"""A company's leads as its partner admin sees them: pseudonym, service and the
profile bands the member chose to give; nothing else, and only after the
member accepted an offer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.ledger.catalogue_models import Service
from referral.models import Member
from referral.offers.models import Lead


@dataclass(frozen=True)
class LeadView:
    id: int
    created_at: datetime
    service: str
    pseudonym: str
    bands: tuple[str, ...]  # age band, income band, region: those given
    status: str


async def company_leads(
    db: async_sessionmaker[AsyncSession], company_id: int, limit: int = 20
) -> list[LeadView]:
    async with db() as session:
        rows = (
            await session.execute(
                select(Lead, Service.name, Member)
                .join(Service, Service.id == Lead.service_id)
                .join(Member, Member.id == Lead.member_id)
                .where(Lead.company_id == company_id)
                .order_by(Lead.id.desc())
                .limit(limit)
            )
        ).all()
    return [
        LeadView(
            lead.id,
            lead.created_at,
            service,
            member.pseudonym,
            tuple(b for b in (member.age_band, member.income_band, member.region) if b),
            lead.status,
        )
        for lead, service, member in rows
    ]
