"""A deal closed in the partner's CRM becomes a client card and, when it names a
member with a lead delivered to that partner, the lead's outcome: over HTTP,
with the CRMs' documented payloads and their APIs played by the local stub."""

from __future__ import annotations

from sqlalchemy import func, select, update

from referral.crm.models import CrmDeal
from referral.leads.models import ClientCard, LeadOutcome, LeadTransition
from referral.offers.models import Lead
from tests.api import crm_world
from tests.api.crm_fixtures import (
    amocrm_lead,
    amocrm_status_change,
    bitrix24_deal,
    bitrix24_deal_update,
)
from tests.api.crm_world import AMO_FIELD, APP_TOKEN, Delivered, post, settled

# The fixtures, named here so pytest finds them for this module.
api, delivered = crm_world.api, crm_world.delivered


async def snapshot(world: Delivered) -> dict[str, object]:
    """What the partner's deals changed: the lead, its outcome, the cards, the moves."""
    async with world.api.services.db() as session:
        lead = await session.get(Lead, world.lead_id)
        outcome = await session.scalar(
            select(LeadOutcome).where(LeadOutcome.lead_id == world.lead_id)
        )
        cards = (
            await session.execute(
                select(ClientCard.external_id, ClientCard.deal_won, ClientCard.member_id)
                .where(ClientCard.company_id == world.company_id)
                .order_by(ClientCard.external_id)
            )
        ).all()
        moves = await session.scalar(select(func.count()).select_from(LeadTransition))
    return {
        "status": lead.status,
        "outcome": (outcome.value, outcome.amount_minor) if outcome else None,
        "cards": [(external, won, member is not None) for external, won, member in cards],
        "moves": moves,
    }


async def test_a_won_bitrix24_deal_is_the_leads_outcome_and_a_card_once(delivered: Delivered):
    http = delivered.api.http
    delivered.stub.deals["901"] = bitrix24_deal("901", "S", "1200.00", delivered.member.upper())
    body = bitrix24_deal_update("901", APP_TOKEN)
    assert (await post(http, delivered.bitrix_url, body))["received"] == 1
    await settled(delivered)
    first = await snapshot(delivered)
    assert first["status"] == "won"
    assert first["outcome"] == (1, 120000)
    # The card of the deal's member, kept beside the card that made the lead.
    assert ("bitrix24-901", True, True) in first["cards"]
    # The same call again, and a later update of the closed deal: nothing changes.
    assert (await post(http, delivered.bitrix_url, body))["duplicate"] == 1
    later = bitrix24_deal_update("901", APP_TOKEN, ts="1736409999")
    assert (await post(http, delivered.bitrix_url, later))["received"] == 1
    await settled(delivered)
    assert await snapshot(delivered) == first


async def test_a_lost_amocrm_deal_is_the_leads_lost_outcome_and_a_card(delivered: Delivered):
    http = delivered.api.http
    delivered.stub.deals["5001"] = amocrm_lead("5001", 143, 0, delivered.member, AMO_FIELD)
    await post(http, delivered.amo_url, amocrm_status_change("5001", 143))
    await settled(delivered)
    lost = await snapshot(delivered)
    assert (lost["status"], lost["outcome"]) == ("lost", (-1, None))
    assert ("amocrm-5001", False, True) in lost["cards"]
    await post(http, delivered.amo_url, amocrm_status_change("5001", 143, pipeline_id=1))
    await settled(delivered)
    assert await snapshot(delivered) == lost


async def test_a_deal_without_a_member_code_is_an_anonymous_card_only(delivered: Delivered):
    http = delivered.api.http
    before = await snapshot(delivered)
    delivered.stub.deals["902"] = bitrix24_deal("902", "S", "300.00", None)
    await post(http, delivered.bitrix_url, bitrix24_deal_update("902", APP_TOKEN))
    await settled(delivered)
    after = await snapshot(delivered)
    assert (after["status"], after["outcome"]) == ("delivered", None)
    assert after["cards"] == sorted([*before["cards"], ("bitrix24-902", True, False)])


async def test_an_open_deal_changes_no_lead_until_it_closes(delivered: Delivered):
    http = delivered.api.http
    before = await snapshot(delivered)
    delivered.stub.deals["903"] = bitrix24_deal("903", "P", "300.00", delivered.member)
    await post(http, delivered.bitrix_url, bitrix24_deal_update("903", APP_TOKEN))
    await settled(delivered)
    assert await snapshot(delivered) == before
    delivered.stub.deals["903"] = bitrix24_deal("903", "S", "300.00", delivered.member)
    await post(http, delivered.bitrix_url, bitrix24_deal_update("903", APP_TOKEN, ts="2"))
    await settled(delivered)
    assert (await snapshot(delivered))["outcome"] == (1, 30000)


async def test_a_settle_taken_again_after_a_crash_repeats_nothing(delivered: Delivered):
    """The process died after the outcome, before the followed deal was closed."""
    http = delivered.api.http
    delivered.stub.deals["904"] = bitrix24_deal("904", "S", "700.00", delivered.member)
    await post(http, delivered.bitrix_url, bitrix24_deal_update("904", APP_TOKEN))
    await settled(delivered)
    first = await snapshot(delivered)
    async with delivered.api.services.db.begin() as session:
        await session.execute(update(CrmDeal).values(state="open"))
    await post(http, delivered.bitrix_url, bitrix24_deal_update("904", APP_TOKEN, ts="3"))
    await settled(delivered)
    assert await snapshot(delivered) == first
