"""The HTTP API over a real migrated SQLite file: services, a company, keys, a client.

Route tests go through httpx's ASGI transport (the whole app, middleware and
error handlers included, without a socket); tests/api/test_server.py and the
schemathesis run use a real uvicorn on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from refbot.services import Services, build_services
from refbot.settings import Settings
from web.app import build_http_app


def api_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "link_secret": "api-test-secret",
        "min_audience": 1,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class World:
    services: Services
    key: str  # acme's key
    other_key: str  # beta's key

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}


async def make_world(services: Services) -> World:
    await services.companies.add("Acme Coffee", "acme")
    await services.companies.add("Beta Books", "beta")
    _, key = await services.apikeys.create("acme", "crm")
    _, other = await services.apikeys.create("beta", "crm")
    return World(services, key, other)


@pytest.fixture
async def world(sqlite_file: str, tmp_path: Path) -> AsyncIterator[World]:
    services = build_services(api_settings(sqlite_file, tmp_path))
    try:
        yield await make_world(services)
    finally:
        await services.close()


@pytest.fixture
async def http(world: World) -> AsyncIterator[httpx.AsyncClient]:
    app = build_http_app(world.services)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client
