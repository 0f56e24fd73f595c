"""GET /api/v1/stats: the caller's own company's numbers, never another's."""

from __future__ import annotations

import httpx

from tests.api.conftest import World


async def test_stats_are_the_callers_own_company(world: World, http: httpx.AsyncClient):
    mine = await http.get("/api/v1/stats", headers=world.auth())
    theirs = await http.get("/api/v1/stats", headers=world.auth(world.other_key))
    assert mine.status_code == theirs.status_code == 200
    assert mine.json()["company"] == "Acme Coffee"
    assert theirs.json()["company"] == "Beta Books"
    # No member yet: under the floor, so the count is hidden, not given.
    assert mine.json()["members"] == {"value": None, "hidden": True}


async def test_an_unknown_route_is_404_in_the_error_shape(world: World, http: httpx.AsyncClient):
    response = await http.get("/api/v1/nothing-here", headers=world.auth())
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
