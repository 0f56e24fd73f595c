"""/api/v1/client-cards and /api/v1/leads* through the whole HTTP app (httpx's
ASGI transport): keys, another company's ids, bad bodies, cursor pages,
outcomes and messages; never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from refbot.services import Services, build_services
from referral.leads.models import ThreadMessage
from referral.leads.service import encode_cursor
from referral.leads.states import STATES
from referral.offers.models import Lead
from tests.api.conftest import api_settings
from tests.leads.world import NOON, RecordingSender
from tests.offers_world import World, seed
from web.app import build_http_app

CARDS = "/api/v1/client-cards"


@dataclass
class Api:
    services: Services
    world: World
    http: httpx.AsyncClient
    keys: dict[str, str]

    def auth(self, company: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[company]}"}

    def card(self, deal: str, member: str | None = "solo", services=("coffee",)) -> dict:
        code = self.world.members[member].pseudonym if member else None
        return {
            "deal_id": deal,
            "member_code": code,
            "services": list(services),
            "amount_minor": 50000,
            "won": True,
        }


@pytest.fixture
async def api(sqlite_file: str, tmp_path: Path) -> AsyncIterator[Api]:
    services = build_services(api_settings(sqlite_file, tmp_path, quiet_hours=""))
    world = await seed(services.db)
    keys = {
        code: (await services.apikeys.create(code, "crm"))[1] for code in ("cafe", "gym", "spa")
    }
    transport = httpx.ASGITransport(app=build_http_app(services), raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
            yield Api(services, world, http, keys)
    finally:
        await services.close()


async def delivered_lead(api: Api, member: str = "solo") -> tuple[int, str]:
    """A card pushed over HTTP, offered, accepted by the member, delivered: (id, partner)."""
    card = api.card(f"d-{member}", member)
    made = await api.http.post(CARDS, json=card, headers=api.auth("cafe"))
    assert made.status_code == 201, made.text
    lead_id = made.json()["lead_id"]
    await api.services.lead_pipeline.run(RecordingSender(), NOON)
    async with api.services.db() as session:
        lead = await session.get(Lead, lead_id)
        partner = await session.scalar(select(Lead.company_id).where(Lead.id == lead_id))
    await api.services.offers.accept(lead.offer_id, lead.member_id, now=NOON)
    await api.services.lead_pipeline.run(RecordingSender(), NOON)
    code = {c.id: c.code for c in await api.services.companies.all()}[partner]
    return lead_id, code


async def test_cards_need_a_key_and_are_idempotent(api):
    body = api.card("d-7")
    assert (await api.http.post("/api/v1/client-cards", json=body)).status_code == 401
    wrong = {"Authorization": "Bearer rbk_nope"}
    assert (
        await api.http.post("/api/v1/client-cards", json=body, headers=wrong)
    ).status_code == 401
    first = await api.http.post("/api/v1/client-cards", json=body, headers=api.auth("cafe"))
    again = await api.http.post("/api/v1/client-cards", json=body, headers=api.auth("cafe"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "duplicate": True}
    anonymous = await api.http.post(
        "/api/v1/client-cards", json=api.card("d-8", member=None), headers=api.auth("cafe")
    )
    assert anonymous.status_code == 201 and anonymous.json()["lead_id"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"deal_id": "x"},
        {"deal_id": "", "services": ["coffee"], "amount_minor": 1, "won": True},
        {"deal_id": "x", "services": [], "amount_minor": 1, "won": True},
        {"deal_id": "x", "services": ["coffee"], "amount_minor": -1, "won": True},
        {"deal_id": "x", "services": ["coffee"], "amount_minor": 1, "won": True, "extra": 1},
        {"deal_id": "x", "services": ["yoga"], "amount_minor": 1, "won": True},  # the gym's
        {"deal_id": "a\x00b", "services": ["coffee"], "amount_minor": 1, "won": True},
        [1, 2, 3],
    ],
)
async def test_bad_cards_are_422_and_store_nothing(api, body):
    response = await api.http.post("/api/v1/client-cards", json=body, headers=api.auth("cafe"))
    assert response.status_code == 422, response.text
    async with api.services.db() as session:
        assert (await session.scalars(select(Lead.id))).all() == []


async def test_a_delivered_lead_is_its_partners_alone(api):
    lead_id, partner = await delivered_lead(api)
    others = [code for code in api.keys if code != partner]
    page = (await api.http.get("/api/v1/leads", headers=api.auth(partner))).json()
    assert [lead["id"] for lead in page["leads"]] == [lead_id] and page["next_cursor"] is None
    lead = page["leads"][0]
    assert lead["member_code"] == api.world.members["solo"].pseudonym
    assert str(api.world.members["solo"].telegram_id) not in str(lead)
    for other in others:
        assert (await api.http.get("/api/v1/leads", headers=api.auth(other))).json()["leads"] == []
        for path in (f"/api/v1/leads/{lead_id}", "/api/v1/leads/999999"):
            missing = await api.http.get(path, headers=api.auth(other))
            assert missing.status_code == 404 and missing.json()["error"] == "not_found"
        outcome = await api.http.post(
            f"/api/v1/leads/{lead_id}/outcome", json={"outcome": "lost"}, headers=api.auth(other)
        )
        assert outcome.status_code == 404
    huge = await api.http.get(f"/api/v1/leads/{2**70}", headers=api.auth(partner))
    assert huge.status_code == 422
    for cursor in ("%%%", encode_cursor(10**30), "bMOp"):
        bad = await api.http.get(
            "/api/v1/leads", params={"cursor": cursor}, headers=api.auth(partner)
        )
        assert bad.status_code == 422, cursor
    bad_status = await api.http.get("/api/v1/leads?status=pending", headers=api.auth(partner))
    assert bad_status.status_code == 422


async def test_the_outcome_is_reported_once(api):
    lead_id, partner = await delivered_lead(api)
    url = f"/api/v1/leads/{lead_id}/outcome"
    no_amount = await api.http.post(url, json={"outcome": "won"}, headers=api.auth(partner))
    assert no_amount.status_code == 422
    body = {"outcome": "won", "amount_minor": 120000}
    won = await api.http.post(url, json=body, headers=api.auth(partner))
    again = await api.http.post(url, json=body, headers=api.auth(partner))
    assert won.status_code == again.status_code == 200 and won.json()["status"] == "won"
    assert again.json() == won.json()  # the first answer, unchanged
    other_amount = {"outcome": "won", "amount_minor": 5}
    assert (
        await api.http.post(url, json=other_amount, headers=api.auth(partner))
    ).json() == won.json()
    flipped = await api.http.post(url, json={"outcome": "lost"}, headers=api.auth(partner))
    assert flipped.status_code == 409
    assert flipped.json()["error"] == "outcome_conflict"
    assert f"lead {lead_id} is already won" in flipped.json()["message"]
    assert (
        await api.http.get(f"/api/v1/leads/{lead_id}", headers=api.auth(partner))
    ).json() == won.json()
    won_only = await api.http.get("/api/v1/leads?status=won", headers=api.auth(partner))
    assert [lead["id"] for lead in won_only.json()["leads"]] == [lead_id]


async def test_pages_follow_the_cursor(api):
    made = [await delivered_lead(api, member) for member in ("solo", "c0", "c1", "c2")]
    partner = max({p for _, p in made}, key=[p for _, p in made].count)
    theirs = sorted((lead for lead, p in made if p == partner), reverse=True)
    seen, cursor = [], None
    while True:
        query = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await api.http.get("/api/v1/leads", params=query, headers=api.auth(partner))).json()
        seen += [lead["id"] for lead in page["leads"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == theirs and len(theirs) >= 2  # at least one real next page


async def test_a_message_to_the_member_is_queued_for_the_bot(api):
    lead_id, partner = await delivered_lead(api)
    url = f"/api/v1/leads/{lead_id}/messages"
    sent = await api.http.post(url, json={"text": "Hello!"}, headers=api.auth(partner))
    assert sent.status_code == 202 and sent.json()["queued"] is True
    other = next(code for code in api.keys if code != partner)
    assert (
        await api.http.post(url, json={"text": "x"}, headers=api.auth(other))
    ).status_code == 404
    empty = await api.http.post(url, json={"text": ""}, headers=api.auth(partner))
    assert empty.status_code == 422
    async with api.services.db() as session:
        assert (await session.scalars(select(ThreadMessage.text))).all() == ["Hello!"]


async def test_the_outcome_conflict_is_in_the_openapi_document(api):
    document = (await api.http.get("/api/v1/openapi.json")).json()
    responses = document["paths"]["/api/v1/leads/{lead_id}/outcome"]["post"]["responses"]
    assert "409" in responses


async def test_stats_count_delivered_leads_and_give_the_funnel_by_state(api):
    for member in ("c0", "c1", "c2"):  # offered in the bot, not answered
        made = await api.http.post(
            CARDS, json=api.card(f"f-{member}", member), headers=api.auth("cafe")
        )
        assert made.status_code == 201, made.text
    await delivered_lead(api)  # its pass offers the three above as well
    async with api.services.db() as session:
        rows = (await session.execute(select(Lead.company_id, Lead.status))).all()
    codes = {c.id: c.code for c in await api.services.companies.all()}
    assert any(status != "delivered" for company, status in rows if company is not None)
    for company_id, code in codes.items():
        body = (await api.http.get("/api/v1/stats", headers=api.auth(code))).json()

        def shown(n: int, floor: int = body["floor"]) -> dict:
            return {"value": n, "hidden": False} if n >= floor else {"value": None, "hidden": True}

        mine = [status for company, status in rows if company == company_id]
        delivered = sum(status in ("delivered", "won", "lost") for status in mine)
        assert body["leads"] == shown(delivered), code
        assert body["funnel"] == {state: shown(mine.count(state)) for state in STATES}
