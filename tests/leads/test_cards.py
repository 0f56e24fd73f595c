"""Client cards: a known member's card is a pending lead, anything else is
anonymous training data; a resent card changes nothing; bad codes are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from referral.leads.cards import UnknownServices
from referral.leads.models import ClientCard, LeadTransition
from referral.leads.service import LeadService
from referral.offers.models import Lead
from tests.leads.world import card, company_id
from tests.offers_world import seed


async def count(db, model) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_a_members_card_becomes_one_pending_lead_even_when_sent_twice(db):
    world = await seed(db)
    cafe = await company_id(db, "cafe")
    leads = LeadService(db)
    first = await leads.receive_card(cafe, card("deal-1", world.members["solo"].pseudonym))
    again = await leads.receive_card(cafe, card("deal-1", world.members["solo"].pseudonym))
    assert first.lead_id is not None and not first.duplicate
    assert (again.card_id, again.lead_id, again.duplicate) == (first.card_id, first.lead_id, True)
    async with db() as session:
        lead = await session.get(Lead, first.lead_id)
        moves = (await session.scalars(select(LeadTransition.to_status))).all()
    assert (lead.status, lead.member_id, lead.company_id) == (
        "pending",
        world.members["solo"].id,
        None,
    )
    assert moves == ["pending"]


@pytest.mark.parametrize("code", [None, "", "NOSUCHCODE"])
async def test_a_card_without_a_known_member_is_training_data_never_a_lead(db, code):
    await seed(db)
    receipt = await LeadService(db).receive_card(await company_id(db, "cafe"), card("deal-2", code))
    assert receipt.lead_id is None
    assert await count(db, ClientCard) == 1 and await count(db, Lead) == 0


async def test_unknown_service_codes_are_refused_and_nothing_is_stored(db):
    world = await seed(db)
    with pytest.raises(UnknownServices) as refused:
        await LeadService(db).receive_card(
            await company_id(db, "cafe"),
            card("deal-3", world.members["solo"].pseudonym, "coffee", "yoga"),  # yoga is the gym's
        )
    assert refused.value.codes == ["yoga"]
    assert await count(db, ClientCard) == 0 and await count(db, Lead) == 0
