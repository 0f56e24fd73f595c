"""The purchase write path of POST /api/v1/purchases on SQLite and PostgreSQL:
few statements per new purchase, concurrent requests, caches that follow the
catalogue and rules, and the rarer rewards (offer cashback, invites) still paid."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event, func, select

from migrations.runner import upgrade_async
from refbot.services import build_services
from referral.ledger.activity_models import Invite, Purchase
from referral.ledger.bookkeeping_models import Transfer
from referral.ledger.check import check
from referral.links import LinkTarget
from referral.offers.models import ACCEPTED, ShownOffer
from tests.api.conftest import World, api_settings, make_world
from tests.services import create_pg_database, drop_pg_database
from web.app import build_http_app


@pytest.fixture(params=["sqlite", "postgres"])
async def world(
    request: pytest.FixtureRequest, sqlite_file: str, tmp_path: Path
) -> AsyncIterator[World]:
    url = sqlite_file if request.param == "sqlite" else await create_pg_database()
    if request.param == "postgres":
        await upgrade_async(url)
    services = build_services(api_settings(url, tmp_path))
    try:
        world = await make_world(services)
        loyalty = services.loyalty
        await loyalty.catalog.import_csv(
            "acme", "code,name,category,price\nlatte,Latte,coffee,250\n"
        )
        await loyalty.rules.set("acme", {"cashback": "10", "purchase_points": "7"})
        acme = await services.companies.get("acme")
        await loyalty.ledger.deposit(acme.id, 10**9, "top-up-c", currency="cashback")
        await loyalty.ledger.deposit(acme.id, 10**9, "top-up-p", currency="points")
        yield world
    finally:
        await services.close()
        if request.param == "postgres":
            await drop_pg_database(url)


@pytest.fixture
async def http(world: World) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_http_app(world.services), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client


async def member(world: World, telegram_id: int, inviter: str | None = None) -> tuple[str, int]:
    found, _ = await world.services.members.accept_consent(
        telegram_id, LinkTarget("acme", inviter), "ru"
    )
    return found.pseudonym, found.id


def sale(code: str, purchase_id: str, **changes: object) -> dict:
    return {
        "purchase_id": purchase_id,
        "member": code,
        "service": "latte",
        "amount_minor": 45050,
        "time": "2026-11-30T14:30:00+03:00",
        **changes,
    }


async def post(http: httpx.AsyncClient, world: World, body: dict) -> dict:
    response = await http.post("/api/v1/purchases", json=body, headers=world.auth())
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_new_purchase_costs_a_handful_of_statements(world: World, http):
    code, _ = await member(world, 1)
    await post(http, world, sale(code, "warm-up"))  # the account ids and the caches are read once
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(world.services.engine.sync_engine, "before_cursor_execute", count)
    try:
        body = await post(http, world, sale(code, "counted"))
    finally:
        event.remove(world.services.engine.sync_engine, "before_cursor_execute", count)
    assert (body["cashback_minor"], body["points"]) == (4505, 7)
    # members (+ the change stamp), the purchase, both transfers at once, the
    # balances: 4 on SQLite, 6 on PostgreSQL (each deposit's own overdraft check);
    # BEGIN and COMMIT besides. It was 14 before the multi-row write path.
    work = [s for s in seen if s.split()[0].upper() not in ("BEGIN", "COMMIT")]
    assert len(work) <= 6, "\n".join(work)
    assert await check(world.services.db) == []


async def test_concurrent_purchases_each_count_once(world: World, http):
    members = [await member(world, 10 + n) for n in range(4)]
    bodies = [sale(members[n % 4][0], f"c-{n}") for n in range(24)]
    bodies += bodies[:8]  # the same purchases again, at the same time
    answers = await asyncio.gather(
        *(http.post("/api/v1/purchases", json=b, headers=world.auth()) for b in bodies)
    )
    assert {a.status_code for a in answers} == {200}
    by_id: dict[str, dict] = {}
    for answer in answers:
        data = answer.json()
        assert by_id.setdefault(data["purchase_id"], data)["cashback_minor"] == 4505
    async with world.services.db() as session:
        assert await session.scalar(select(func.count()).select_from(Purchase)) == 24
        assert (
            await session.scalar(select(func.count()).where(Transfer.purchase_id.is_not(None)))
            == 48
        )
    for _, member_id in members:
        [balance] = (await world.services.loyalty.wallet.wallet(member_id)).balances
        assert balance.cashback_incoming == 6 * 4505
    assert await check(world.services.db) == []


async def test_a_new_cashback_rate_applies_to_the_next_purchase(world: World, http):
    code, _ = await member(world, 2)
    assert (await post(http, world, sale(code, "before")))["cashback_minor"] == 4505
    await world.services.loyalty.rules.set("acme", {"cashback": "20", "purchase_points": "3"})
    after = await post(http, world, sale(code, "after"))
    assert (after["cashback_minor"], after["points"]) == (9010, 3)
    catalogue = {
        "services": [{"code": "tea", "name": "Tea", "category": "coffee", "price_minor": 9000}]
    }
    put = await http.put("/api/v1/catalog", json=catalogue, headers=world.auth())
    assert put.status_code == 200, put.text
    assert (await post(http, world, sale(code, "tea", service="tea")))["service"] == "tea"


async def test_offer_cashback_and_the_invite_reward_still_accrue(world: World, http):
    inviter, inviter_id = await member(world, 3)
    code, member_id = await member(world, 4, inviter)
    acme = await world.services.companies.get("acme")
    await world.services.loyalty.rules.set("acme", {"invite_points": "50"})
    async with world.services.db.begin() as session:
        [service] = await world.services.loyalty.catalog.services(acme.id)
        session.add(
            ShownOffer(
                member_id=member_id,
                company_id=acme.id,
                service_id=service.id,
                score=0.9,
                reason="similar",
                status=ACCEPTED,
                created_at=datetime.now(UTC),
                extra_cashback_bp=500,
            )
        )
    await post(http, world, sale(code, "first"))
    await post(http, world, sale(code, "second"))
    async with world.services.db() as session:
        kinds = (
            await session.scalars(select(Transfer.kind).where(Transfer.purchase_id.is_not(None)))
        ).all()
        invites = (await session.scalars(select(Invite))).all()
    assert sorted(kinds).count("offer") == 1  # once per offer, at the first purchase
    assert [(i.inviter_id, i.status) for i in invites] == [(inviter_id, "awarded")]
    assert "invite" in kinds
    assert await check(world.services.db) == []


async def test_a_sale_and_its_return_in_one_batch(world: World, http):
    code, member_id = await member(world, 5)
    batch = {
        "purchases": [sale(code, "pair"), sale(code, "pair", status="reversed"), sale(code, "solo")]
    }
    response = await http.post("/api/v1/purchases/batch", json=batch, headers=world.auth())
    assert response.status_code == 200, response.text
    out = response.json()["purchases"]
    assert [(p["purchase_id"], p["status"], p["cashback_minor"]) for p in out] == [
        ("pair", "reversed", 0),
        ("pair", "reversed", 0),
        ("solo", "completed", 4505),
    ]
    [balance] = (await world.services.loyalty.wallet.wallet(member_id)).balances
    assert balance.cashback_incoming == 4505
    assert await check(world.services.db) == []


async def test_a_deposit_short_of_a_batch_refuses_all_of_it(world: World, http):
    code, member_id = await member(world, 6)
    # Each sale alone fits the cashback deposit; the five together do not.
    batch = {"purchases": [sale(code, f"big-{n}", amount_minor=3 * 10**9) for n in range(5)]}
    response = await http.post("/api/v1/purchases/batch", json=batch, headers=world.auth())
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "insufficient_deposit"
    async with world.services.db() as session:
        assert await session.scalar(select(func.count()).select_from(Purchase)) == 0
    assert (await world.services.loyalty.wallet.wallet(member_id)).balances == []
    assert await check(world.services.db) == []
