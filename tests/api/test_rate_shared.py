"""The per-key rate shared by every process through Redis (REDIS_URL): two app
instances, each with its own services on the same database, spend from one
allowance; without Redis each keeps its own; with Redis gone, no 500."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from refbot.services import build_services
from tests.api.conftest import World, api_settings, make_world
from tests.net import free_port
from tests.services import redis_url
from web.app import build_http_app
from web.ratelimit import RedisKeyRates


async def apps(sqlite_file: str, tmp_path: Path, redis: str) -> AsyncIterator[tuple]:
    """Two instances, as two processes behind a balancer would be."""
    first = build_services(
        api_settings(sqlite_file, tmp_path, api_rate_per_minute=3, redis_url=redis)
    )
    second = build_services(
        api_settings(sqlite_file, tmp_path, api_rate_per_minute=3, redis_url=redis)
    )
    world = await make_world(first)
    clients, made = [], []
    prefix = f"refbot-test:{secrets.token_hex(4)}:"  # this test's own buckets
    try:
        for services in (first, second):
            app = build_http_app(services)
            if isinstance(app.state.key_rates, RedisKeyRates):
                app.state.key_rates.prefix = prefix
            made.append(app)
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            clients.append(httpx.AsyncClient(transport=transport, base_url="http://api.test"))
        yield world, clients
    finally:
        for client in clients:
            await client.aclose()
        for app in made:
            await app.state.key_rates.close()
        await first.close()
        await second.close()


async def codes(world: World, clients: list[httpx.AsyncClient], n: int) -> list[int]:
    return [
        (await clients[i % 2].get("/api/v1/stats", headers=world.auth())).status_code
        for i in range(n)
    ]


@pytest.mark.redis
async def test_two_instances_share_one_allowance_through_redis(sqlite_file, tmp_path):
    url = await redis_url()
    async for world, clients in apps(sqlite_file, tmp_path, url):
        assert await codes(world, clients, 5) == [200, 200, 200, 429, 429]
        limited = await clients[1].get("/api/v1/stats", headers=world.auth())
        assert limited.json()["error"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 20
        other = await clients[0].get("/api/v1/stats", headers=world.auth(world.other_key))
        assert other.status_code == 200  # per key: another company's key is not slowed down


async def test_without_redis_each_instance_keeps_its_own(sqlite_file, tmp_path):
    async for world, clients in apps(sqlite_file, tmp_path, ""):
        assert await codes(world, clients, 8) == [200] * 6 + [429, 429]


async def test_with_redis_gone_each_instance_falls_back_to_its_own(sqlite_file, tmp_path):
    gone = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    async for world, clients in apps(sqlite_file, tmp_path, gone):
        assert await codes(world, clients, 8) == [200] * 6 + [429, 429]
