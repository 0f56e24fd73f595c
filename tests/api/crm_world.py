"""A lead delivered to its partner, whose Bitrix24 and amoCRM are connected and
played by the local stub: the world of the CRM outcome and push tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from referral.crm.connections import amocrm_settings, bitrix24_settings
from referral.leads.models import LeadOutcome
from referral.offers.models import Lead
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
    services = api.services
    services.crm_inbound.backoff = services.crm_pushes.backoff = 0.001
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


async def outcome(world: Delivered) -> tuple[str, tuple[int, int | None] | None]:
    """The lead's status and its outcome (value, amount) if reported."""
    async with world.api.services.db() as session:
        lead = await session.get(Lead, world.lead_id)
        found = await session.scalar(
            select(LeadOutcome).where(LeadOutcome.lead_id == world.lead_id)
        )
        return lead.status, (found.value, found.amount_minor) if found else None


async def post(http: httpx.AsyncClient, url: str, body: str) -> dict:
    response = await http.post(url, content=body, headers=FORM)
    assert response.status_code == 200, response.text
    return response.json()
