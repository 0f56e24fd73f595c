"""What a partner learns of a lead, and only once the member accepted:
the lead's id, service, status, the member's pseudonym (the code they show)
and the profile bands they chose to give. Never a Telegram id or username.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from referral.leads.states import VISIBLE_TO_PARTNER
from referral.ledger.catalogue_models import Service
from referral.models import Member
from referral.offers.models import Lead

DELIVERED_EVENT = "lead.delivered"


@dataclass(frozen=True)
class PartnerLead:
    id: int
    status: str
    service_code: str
    service: str
    member_code: str
    age_band: str | None
    income_band: str | None
    region: str | None
    probability: float | None
    created_at: datetime
    updated_at: datetime | None

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        for key in ("created_at", "updated_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


@dataclass(frozen=True)
class Event:
    """One webhook event: ``key`` makes it idempotent, ``data`` is its body's data."""

    company_id: int
    key: str
    type: str
    data: dict[str, object]


def partner_leads_query():  # type: ignore[no-untyped-def]
    return (
        select(
            Lead.id,
            Lead.status,
            Service.code,
            Service.name,
            Member.pseudonym,
            Member.age_band,
            Member.income_band,
            Member.region,
            Lead.probability,
            Lead.created_at,
            Lead.updated_at,
        )
        .join(Service, Service.id == Lead.service_id)
        .join(Member, Member.id == Lead.member_id)
        .where(Lead.status.in_(VISIBLE_TO_PARTNER))
    )


def partner_lead(row) -> PartnerLead:  # type: ignore[no-untyped-def]
    return PartnerLead(*row)


async def delivered_event(session: AsyncSession, lead_id: int, now: datetime) -> Event:
    row = (await session.execute(partner_leads_query().where(Lead.id == lead_id))).one()
    company_id = await session.scalar(select(Lead.company_id).where(Lead.id == lead_id))
    return Event(
        int(company_id or 0),
        f"{DELIVERED_EVENT}:{lead_id}",
        DELIVERED_EVENT,
        partner_lead(row).as_json(),
    )
