"""A deal closed in the partner's CRM becomes a client card and, when it names a
member with a lead delivered to that partner, the lead's outcome: over HTTP,
with the CRMs' documented payloads and their APIs played by the local stub."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select, update

from referral.crm.connections import amocrm_settings, bitrix24_settings
from referral.crm.models import CrmDeal
from referral.leads.models import ClientCard, LeadOutcome, LeadTransition
from referral.offers.models import Lead
from tests.api.crm_fixtures import (
    amocrm_lead,
    amocrm_status_change,
    bitrix24_deal,
    bitrix24_deal_update,
)
from tests.api.crm_stubs import CrmStub, crm_stub
from tests.leads.test_api import Api, api, delivered_lead  # noqa: F401  (api: the fixture)

APP_TOKEN = "51856fefc120afa4b628cc82d3935cce"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
AMO_FIELD = 1184725


@dataclass
class Delivered:
    api: Api
    stub: CrmStub
    lead_id: int
    company_id: int
    member: str  # the member's code, as a partner's manager types it into the deal
    bitrix_url: str
    amo_url: str


@pytest.fixture
async def delivered(api: Api) -> AsyncIterator[Delivered]:  # noqa: F811
    """A lead delivered to its partner, whose Bitrix24 and amoCRM are connected."""
    services = api.services
    services.crm_inbound.backoff = 0.001
    lead_id, partner = await delivered_lead(api)
    company = await services.companies.get(partner)
    lead = await services.leads.get(company.id, lead_id)
    async with crm_stub() as stub:
        bitrix = await services.crm.connect(
            partner,
            "bitrix24",
            bitrix24_settings(
                f"{stub.url}/rest/1/k3y/", APP_TOKEN, "UF_CRM_REFBOT", lead.service_code
            ),
        )
        amo = await services.crm.connect(
            partner,
            "amocrm",
            amocrm_settings(
                "acmecoffee", stub.token, AMO_FIELD, lead.service_code, api_base=stub.url
            ),
        )
        yield Delivered(api, stub, lead_id, company.id, lead.member_code, bitrix, amo)


async def settled(world: Delivered) -> None:
    await asyncio.gather(*list(world.api.services.crm_tasks))


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


async def post(http: httpx.AsyncClient, url: str, body: str) -> dict:
    response = await http.post(url, content=body, headers=FORM)
    assert response.status_code == 200, response.text
    return response.json()


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
