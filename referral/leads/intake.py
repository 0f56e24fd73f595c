"""A member's answer to an offer, as the lead pipeline sees it (called by
OfferService.accept/decline inside their transaction).

Accept: the pipeline's lead holding that offer moves on to *accepted*; an
offer accepted straight from /offers starts a lead at *accepted*. Either way
the press is what delivers it, in the same transaction: *delivered*, with its
webhook event queued; the partner's admins are told in the bot within
seconds (the notices job). Decline: the pipeline's lead ends *rejected*.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from referral.leads import states
from referral.leads.delivery import delivered_event
from referral.leads.webhooks import enqueue_event
from referral.offers.models import Lead, ShownOffer


async def offer_accepted(session: AsyncSession, offer: ShownOffer, now: datetime) -> Lead:
    lead = await session.scalar(select(Lead).where(Lead.offer_id == offer.id))
    if lead is not None:
        if lead.status in (states.WAITING, states.OFFERED):
            await states.move(
                session, lead.id, lead.status, states.ACCEPTED, "member accepted the offer", now
            )
            await deliver_lead(session, lead.id, now)
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
    await deliver_lead(session, lead.id, now)
    await session.refresh(lead)
    return lead


async def deliver_lead(session: AsyncSession, lead_id: int, now: datetime) -> bool:
    """accepted -> delivered and the partner's webhook event, in the caller's transaction."""
    if not await states.move(
        session,
        lead_id,
        states.ACCEPTED,
        states.DELIVERED,
        "delivered to the partner: bot, API, webhook",
        now,
    ):
        return False
    await enqueue_event(session, await delivered_event(session, lead_id, now), now)
    return True


async def offer_declined(session: AsyncSession, offer: ShownOffer, now: datetime) -> None:
    lead = await session.scalar(select(Lead).where(Lead.offer_id == offer.id))
    if lead is not None and lead.status in (states.WAITING, states.OFFERED):
        await states.move(
            session, lead.id, lead.status, states.REJECTED, "member declined the offer", now
        )
