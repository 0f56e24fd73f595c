"""API keys: stored hashed, one company each, refused when missing, wrong or revoked."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from sqlalchemy import select

from referral.apikeys import TRUST_SECONDS, ApiKey, ApiKeyRefused, ApiKeyService
from tests.api.conftest import World


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


async def test_a_key_revoked_by_another_process_is_refused_after_the_trust_window(world: World):
    now = [0.0]
    server = ApiKeyService(world.services.db, clock=lambda: now[0])  # the serving process
    assert (await server.authenticate(world.key)).company_code == "acme"
    [info] = await world.services.apikeys.list("acme")
    await world.services.apikeys.revoke(info.public_id)  # `refbot apikey revoke`, elsewhere
    assert (await server.authenticate(world.key)).company_code == "acme"  # trusted a moment
    now[0] += TRUST_SECONDS + 0.1
    with pytest.raises(ApiKeyRefused):
        await server.authenticate(world.key)
