"""A member's answer to an offer, as the lead pipeline sees it (called by
OfferService.accept/decline inside their transaction).

Accept: the pipeline's lead holding that offer moves on to *accepted*; an
offer accepted straight from /offers starts a lead at *accepted*. Decline: the
pipeline's lead ends *rejected*. Either way the next pass does the rest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from referral.leads import states
from referral.offers.models import Lead, ShownOffer


async def offer_accepted(session: AsyncSession, offer: ShownOffer, now: datetime) -> Lead:
    lead = await session.scalar(select(Lead).where(Lead.offer_id == offer.id))
    if lead is not None:
        if lead.status in (states.WAITING, states.OFFERED):
            await states.move(
                session, lead.id, lead.status, states.ACCEPTED, "member accepted the offer", now
            )
            await session.refresh(lead)
        return lead
    lead = Lead(
        offer_id=offer.id,
        company_id=offer.company_id,
        service_id=offer.service_id,
        member_id=offer.member_id,
        status=states.ACCEPTED,
        created_at=now,
        updated_at=now,
    )
    session.add(lead)
    await session.flush()
    session.add(states.entered(lead.id, states.ACCEPTED, "accepted from /offers", now))
    return lead


async def offer_declined(session: AsyncSession, offer: ShownOffer, now: datetime) -> None:
    lead = await session.scalar(select(Lead).where(Lead.offer_id == offer.id))
    if lead is not None and lead.status in (states.WAITING, states.OFFERED):
        await states.move(
            session, lead.id, lead.status, states.REJECTED, "member declined the offer", now
        )
