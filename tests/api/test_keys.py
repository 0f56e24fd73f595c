"""API keys: stored hashed, one company each, refused when missing, wrong or revoked."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from sqlalchemy import func, select

from refbot.services import build_services
from referral.apikeys import TRUST_SECONDS, ApiKey, ApiKeyRefused, ApiKeyService
from referral.ledger.activity_models import Purchase
from referral.links import LinkTarget
from tests.api.conftest import World
from web.app import build_http_app


async def test_a_key_is_stored_only_as_its_digest(world: World):
    async with world.services.db() as session:
        rows = (await session.scalars(select(ApiKey))).all()
    stored = {row.secret_hash for row in rows}
    assert hashlib.sha256(world.key.encode()).hexdigest() in stored
    assert all(world.key not in (row.secret_hash, row.public_id, row.name) for row in rows)


async def test_a_key_speaks_for_its_own_company(world: World):
    caller = await world.services.apikeys.authenticate(world.key)
    assert caller.company_code == "acme"
    assert (await world.services.apikeys.authenticate(world.other_key)).company_code == "beta"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Bearer rbk_k0000000000_" + "A" * 32},
    ],
    ids=["missing", "empty", "basic", "malformed", "unknown"],
)
async def test_a_missing_or_wrong_key_gets_401(http: httpx.AsyncClient, headers):
    response = await http.get("/api/v1/stats", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "unauthorized"


async def test_a_key_with_a_changed_secret_gets_401(world: World, http: httpx.AsyncClient):
    forged = world.key[:-1] + ("A" if world.key[-1] != "A" else "B")
    assert (await http.get("/api/v1/stats", headers=world.auth(forged))).status_code == 401


async def test_a_revoked_key_gets_401_at_once(world: World, http: httpx.AsyncClient):
    assert (await http.get("/api/v1/stats", headers=world.auth())).status_code == 200
    [info] = await world.services.apikeys.list("acme")
    await world.services.apikeys.revoke(info.public_id)
    response = await http.get("/api/v1/stats", headers=world.auth())
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]
    with pytest.raises(ApiKeyRefused):
        await world.services.apikeys.authenticate(world.key)
    # The other company's key is untouched.
    assert (await http.get("/api/v1/stats", headers=world.auth(world.other_key))).status_code == 200


async def test_a_key_revoked_by_another_process_is_refused_at_once(world: World):
    now = [0.0]
    server = ApiKeyService(world.services.db, clock=lambda: now[0])  # the serving process
    assert (await server.authenticate(world.key)).company_code == "acme"
    [info] = await world.services.apikeys.list("acme")
    await world.services.apikeys.revoke(info.public_id)  # `refbot apikey revoke`, elsewhere
    with pytest.raises(ApiKeyRefused):
        await server.authenticate(world.key)  # every route but purchases: read each time
    # The purchase routes trust a key read a moment ago and check it in their own query.
    assert (await server.authenticate(world.key, recheck_later=True)) is not None
    now[0] += TRUST_SECONDS + 0.1
    with pytest.raises(ApiKeyRefused):
        await server.authenticate(world.key, recheck_later=True)


async def test_purchases_refuse_a_key_revoked_elsewhere_on_the_next_request(world: World):
    """Two processes: one serves the API (its key read and trusted), the other
    revokes the key the way `refbot apikey revoke` does; the very next purchase,
    inside the trust window, is refused and changes nothing."""
    loyalty = world.services.loyalty
    await loyalty.catalog.import_csv("acme", "code,name,category,price\nlatte,Latte,coffee,250\n")
    acme = await world.services.companies.get("acme")
    await loyalty.ledger.deposit(acme.id, 10**6, "top-up-c", currency="cashback")
    member, _ = await world.services.members.accept_consent(5, LinkTarget("acme"), "ru")
    serving = build_services(world.services.settings)
    transport = httpx.ASGITransport(app=build_http_app(serving), raise_app_exceptions=False)
    sale = {
        "member": member.pseudonym,
        "service": "latte",
        "amount_minor": 45050,
        "time": "2026-11-30T14:30:00+03:00",
    }
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
            first = await http.post(
                "/api/v1/purchases", json={**sale, "purchase_id": "a"}, headers=world.auth()
            )
            assert first.status_code == 200, first.text
            [info] = await world.services.apikeys.list("acme")
            await world.services.apikeys.revoke(info.public_id)  # another process's service
            for path, body in (
                ("/api/v1/purchases", {**sale, "purchase_id": "b"}),
                ("/api/v1/purchases/batch", {"purchases": [{**sale, "purchase_id": "c"}]}),
                ("/api/v1/purchases", {**sale, "member": "nobody", "purchase_id": "d"}),
            ):
                refused = await http.post(path, json=body, headers=world.auth())
                assert refused.status_code == 401, (path, refused.text)
                assert "revoked" in refused.json()["message"]
            stats = await http.get("/api/v1/stats", headers=world.auth())
            assert stats.status_code == 401
    finally:
        await serving.close()
    async with world.services.db() as session:
        assert await session.scalar(select(func.count()).select_from(Purchase)) == 1
