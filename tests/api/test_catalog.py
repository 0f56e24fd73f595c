"""PUT /api/v1/catalog: the file import's rules over JSON, per company."""

from __future__ import annotations

import httpx

from tests.api.conftest import World

LATTE = {"code": "latte", "name": "Latte", "category": "coffee", "price_minor": 25000}


async def services_of(world: World, code: str) -> dict[str, int]:
    company = await world.services.companies.get(code)
    return {
        s.code: s.price_minor for s in await world.services.loyalty.catalog.services(company.id)
    }


async def test_put_adds_then_updates_and_a_repeat_changes_nothing(
    world: World, http: httpx.AsyncClient
):
    body = {"services": [LATTE], "outlets": [{"name": "Tverskaya 7", "lat": 55.75, "lon": 37.61}]}
    first = await http.put("/api/v1/catalog", json=body, headers=world.auth())
    assert first.json() == {"services_changed": 1, "outlets_changed": 1}
    again = await http.put("/api/v1/catalog", json=body, headers=world.auth())
    assert again.json() == {"services_changed": 0, "outlets_changed": 0}
    cheaper = {"services": [{**LATTE, "price_minor": 20000}]}
    assert (await http.put("/api/v1/catalog", json=cheaper, headers=world.auth())).json()[
        "services_changed"
    ] == 1
    assert await services_of(world, "acme") == {"latte": 20000}
    assert await services_of(world, "beta") == {}  # the key's company only


async def test_a_bad_item_changes_nothing_and_is_named(world: World, http: httpx.AsyncClient):
    body = {
        "services": [LATTE, {**LATTE, "code": "tea", "discount_percent": 140}],
    }
    response = await http.put("/api/v1/catalog", json=body, headers=world.auth())
    assert response.status_code == 422
    assert response.json()["fields"][0]["loc"] == ["body", "services", 1, "discount_percent"]
    repeated = {"services": [LATTE, LATTE]}
    response = await http.put("/api/v1/catalog", json=repeated, headers=world.auth())
    assert response.status_code == 422
    assert response.json()["fields"][0]["loc"] == ["body", "services", 1]
    assert await services_of(world, "acme") == {}


async def test_catalog_needs_a_key(world: World, http: httpx.AsyncClient):
    assert (await http.put("/api/v1/catalog", json={"services": [LATTE]})).status_code == 401
    assert await services_of(world, "acme") == {}
