"""Bitrix24 and amoCRM connected without code: their webhooks replayed over HTTP,
their APIs played by a local stub (rate-limit errors included)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from referral.crm.connections import amocrm_settings, bitrix24_settings
from referral.crm.models import CrmEvent
from referral.crm.reconcile import reconcile
from referral.ledger.activity_models import Purchase
from referral.links import LinkTarget
from tests.api.conftest import World
from tests.api.crm_fixtures import (
    amocrm_lead,
    amocrm_status_change,
    bitrix24_deal,
    bitrix24_deal_update,
)
from tests.api.crm_stubs import CrmStub, crm_stub

APP_TOKEN = "51856fefc120afa4b628cc82d3935cce"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
AMO_FIELD = 1184725


@dataclass
class Partner:
    world: World
    stub: CrmStub
    member: str
    bitrix_url: str
    amo_url: str


@pytest.fixture
async def partner(world: World) -> AsyncIterator[Partner]:
    services = world.services
    services.crm_inbound.backoff = 0.001  # the CRMs' rate-limit waits, shortened
    await services.loyalty.catalog.import_csv(
        "acme", "code,name,category,price\nlatte,Latte,coffee,250\n"
    )
    await services.loyalty.rules.set("acme", {"cashback": "10"})
    acme = await services.companies.get("acme")
    await services.loyalty.ledger.deposit(acme.id, 10**9, "top-up", currency="cashback")
    member, _ = await services.members.accept_consent(11, LinkTarget("acme"), "ru")
    async with crm_stub() as stub:
        bitrix = await services.crm.connect(
            "acme",
            "bitrix24",
            bitrix24_settings(f"{stub.url}/rest/1/k3y/", APP_TOKEN, "UF_CRM_REFBOT", "latte"),
        )
        amo = await services.crm.connect(
            "acme",
            "amocrm",
            amocrm_settings("acmecoffee", stub.token, AMO_FIELD, "latte", api_base=stub.url),
        )
        yield Partner(world, stub, member.pseudonym, bitrix, amo)


async def settled(partner: Partner) -> None:
    await asyncio.gather(*list(partner.world.services.crm_tasks))


async def purchases(partner: Partner) -> list[tuple[str, int]]:
    async with partner.world.services.db() as session:
        rows = await session.execute(select(Purchase.receipt, Purchase.amount_minor))
        return sorted(rows.all())


async def events(partner: Partner) -> int:
    async with partner.world.services.db() as session:
        return int(await session.scalar(select(func.count()).select_from(CrmEvent)) or 0)


async def test_a_won_bitrix24_deal_becomes_a_purchase_once(
    partner: Partner, http: httpx.AsyncClient
):
    partner.stub.deals["759"] = bitrix24_deal("759", "S", "5000.00", partner.member.upper())
    body = bitrix24_deal_update("759", APP_TOKEN)
    first = await http.post(partner.bitrix_url, content=body, headers=FORM)
    assert first.json() == {"received": 1, "duplicate": 0}
    await settled(partner)
    assert await purchases(partner) == [("bitrix24-759", 500000)]
    again = await http.post(partner.bitrix_url, content=body, headers=FORM)
    assert again.json() == {"received": 0, "duplicate": 1}
    # A later update of the same closed deal is recorded but changes nothing.
    later = await http.post(
        partner.bitrix_url,
        content=bitrix24_deal_update("759", APP_TOKEN, ts="1736409999"),
        headers=FORM,
    )
    assert later.json()["received"] == 1
    await settled(partner)
    assert await purchases(partner) == [("bitrix24-759", 500000)]


async def test_bitrix24_query_limit_is_waited_out(partner: Partner, http: httpx.AsyncClient):
    partner.stub.deals["760"] = bitrix24_deal("760", "S", "120.50", partner.member)
    partner.stub.limited = 2  # two 503 QUERY_LIMIT_EXCEEDED, then the deal
    await http.post(
        partner.bitrix_url, content=bitrix24_deal_update("760", APP_TOKEN), headers=FORM
    )
    await settled(partner)
    assert partner.stub.calls == ["crm.deal.get.json"] * 3
    assert await purchases(partner) == [("bitrix24-760", 12050)]


async def test_a_lost_or_open_bitrix24_deal_is_no_purchase(
    partner: Partner, http: httpx.AsyncClient
):
    partner.stub.deals["761"] = bitrix24_deal("761", "F", "900.00", partner.member)
    partner.stub.deals["762"] = bitrix24_deal("762", "P", "900.00", partner.member)
    for deal in ("761", "762"):
        await http.post(
            partner.bitrix_url, content=bitrix24_deal_update(deal, APP_TOKEN), headers=FORM
        )
    await settled(partner)
    assert await purchases(partner) == []


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        (lambda url, body: (url, bitrix24_deal_update("759", "0" * 32)), 401),
        (lambda url, body: (url[:-3] + "AAA", body), 404),
        (lambda url, body: (url.replace("bitrix24", "amocrm"), body), 404),
        (lambda url, body: (url, "event=ONCRMDEALUPDATE&data[FIELDS][ID]=x"), 422),
        (lambda url, body: (url, "%%%"), 422),
        (lambda url, body: (url, "data[FIELDS]=1&data[FIELDS][ID]=2"), 422),
    ],
    ids=["wrong-application-token", "forged-url", "other-kind", "bad-id", "not-a-form", "clash"],
)
async def test_a_forged_or_malformed_call_is_4xx_and_changes_nothing(
    partner: Partner, http: httpx.AsyncClient, mutate, status, caplog
):
    partner.stub.deals["759"] = bitrix24_deal("759", "S", "5000.00", partner.member)
    url, body = mutate(partner.bitrix_url, bitrix24_deal_update("759", APP_TOKEN))
    response = await http.post(url, content=body, headers=FORM)
    assert response.status_code == status, response.text
    await settled(partner)
    assert (await events(partner), await purchases(partner)) == (0, [])
    refused = [r for r in caplog.records if r.name == "web.crm.routes"]
    assert [r.levelname for r in refused] == ["WARNING"]
    assert "refused" in refused[0].getMessage()
    # The token's secret part follows "<public id>_" and may itself hold "_" or "-".
    secret = partner.bitrix_url.rsplit("/", 1)[1].split("_", 1)[1]
    assert len(secret) == 32 and secret not in refused[0].getMessage()


async def test_a_won_amocrm_deal_becomes_a_purchase_once(partner: Partner, http: httpx.AsyncClient):
    partner.stub.deals["4051"] = amocrm_lead("4051", 142, 800, partner.member, AMO_FIELD)
    partner.stub.limited = 1  # one 429, then the lead
    body = amocrm_status_change("4051", 142)
    assert (await http.post(partner.amo_url, content=body, headers=FORM)).json()["received"] == 1
    await settled(partner)
    assert await purchases(partner) == [("amocrm-4051", 80000)]
    assert (await http.post(partner.amo_url, content=body, headers=FORM)).json()["duplicate"] == 1
    await settled(partner)
    assert await purchases(partner) == [("amocrm-4051", 80000)]


async def test_a_missed_amocrm_webhook_is_recovered_by_the_reconcile(
    partner: Partner, http: httpx.AsyncClient
):
    partner.stub.deals["4052"] = amocrm_lead("4052", 31522160, 800, partner.member, AMO_FIELD)
    await http.post(partner.amo_url, content=amocrm_status_change("4052", 31522160), headers=FORM)
    await settled(partner)
    assert await purchases(partner) == []  # still open: followed
    # The deal is won in amoCRM, and the webhook of that move never arrives.
    partner.stub.deals["4052"] = amocrm_lead("4052", 142, 800, partner.member, AMO_FIELD)
    report = await reconcile(partner.world.services.crm_inbound)
    assert report.closed == 1
    assert await purchases(partner) == [("amocrm-4052", 80000)]
    again = await reconcile(partner.world.services.crm_inbound)
    assert again.closed == 0


async def test_an_amocrm_call_without_status_entries_is_422(
    partner: Partner, http: httpx.AsyncClient
):
    response = await http.post(partner.amo_url, content="account[id]=1", headers=FORM)
    assert response.status_code == 422
    assert await events(partner) == 0
