"""The error semantics every route shares: 413 while reading, 422 with fields,
malformed bodies 4xx, 429 with Retry-After; routers plugged in through
build_http_app's extra_routers get all of it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, Depends
from pydantic import BaseModel

from referral.apikeys import Caller
from tests.api.conftest import World, api_settings
from web.app import build_http_app
from web.auth import api_company
from web.limits import MAX_BODY_BYTES
from web.ratelimit import KeyRates

probe = APIRouter(prefix="/api/v1/probe")


class Echo(BaseModel):
    text: str
    count: int


@probe.post("")
async def echo(body: Echo, company: Caller = Depends(api_company)) -> dict:
    return {"company": company.company_code, "size": len(body.text)}


@pytest.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    app = build_http_app(world.services, extra_routers=[probe])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        yield http


async def test_an_extra_router_is_served_with_the_key_dependency(world, client):
    response = await client.post(
        "/api/v1/probe", json={"text": "hi", "count": 1}, headers=world.auth()
    )
    assert response.json() == {"company": "acme", "size": 2}
    assert (await client.post("/api/v1/probe", json={"text": "hi", "count": 1})).status_code == 401


async def test_wrong_types_are_422_naming_each_field(world, client):
    response = await client.post(
        "/api/v1/probe", json={"text": 5, "count": "many"}, headers=world.auth()
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert sorted(tuple(f["loc"]) for f in body["fields"]) == [
        ("body", "count"),
        ("body", "text"),
    ]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"text": "unterminated', "application/json"),
        (b"\xff\xfe not utf-8", "application/json"),
        (b"text=hi&count=1", "application/x-www-form-urlencoded"),
        (b"<xml/>", "application/xml"),
        (b"", "application/json"),
        (b"[1, 2, 3]", "application/json"),
    ],
    ids=["broken-json", "not-utf8", "form", "xml", "empty", "array"],
)
async def test_malformed_bodies_are_4xx_never_500(world, client, content, content_type):
    headers = {**world.auth(), "Content-Type": content_type}
    response = await client.post("/api/v1/probe", content=content, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert "error" in response.json()


async def test_a_body_over_1_mib_is_413_whatever_content_length_claims(world, client):
    big = b'{"text": "' + b"x" * MAX_BODY_BYTES + b'", "count": 1}'
    declared = await client.post(
        "/api/v1/probe", content=big, headers={**world.auth(), "Content-Type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.json()["error"] == "body_too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length at all
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    streamed = await client.post(
        "/api/v1/probe",
        content=chunks(),
        headers={**world.auth(), "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    just_under = b'{"text": "' + b"x" * (MAX_BODY_BYTES - 40) + b'", "count": 1}'
    fits = await client.post(
        "/api/v1/probe",
        content=just_under,
        headers={**world.auth(), "Content-Type": "application/json"},
    )
    assert fits.status_code == 200


async def test_past_the_rate_a_key_gets_429_with_retry_after(sqlite_file, tmp_path):
    from refbot.services import build_services
    from tests.api.conftest import make_world

    services = build_services(api_settings(sqlite_file, tmp_path, api_rate_per_minute=3))
    try:
        world = await make_world(services)
        app = build_http_app(services)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            codes = [
                (await http.get("/api/v1/stats", headers=world.auth())).status_code
                for _ in range(4)
            ]
            assert codes == [200, 200, 200, 429]
            limited = await http.get("/api/v1/stats", headers=world.auth())
            assert limited.json()["error"] == "rate_limited"
            assert int(limited.headers["retry-after"]) >= 1
            # The limit is per key: another company's key is not slowed down.
            other = await http.get("/api/v1/stats", headers=world.auth(world.other_key))
            assert other.status_code == 200
    finally:
        await services.close()


async def test_a_bucket_refills_at_the_rate():
    now = [0.0]
    rates = KeyRates(60, clock=lambda: now[0])  # one a second, bursts of 60
    for _ in range(60):
        await rates.take("k")
    with pytest.raises(Exception) as refused:
        await rates.take("k")
    assert refused.value.retry_after == 1
    now[0] += 1.0
    await rates.take("k")
