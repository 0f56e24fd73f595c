"""Two partner companies with half a year of purchases, staff with roles, the
analytics job run once, and the whole HTTP app over a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from refbot.services import Services, build_services
from refbot.settings import Settings
from tests.offers_world import add_member
from tests.workspace.initdata import TOKEN, sign
from web.app import build_http_app

ALPHA_ADMIN, BETA_ADMIN, MARKETER, NOBODY, OPERATOR = 7001, 7002, 7003, 7004, 7005
CATALOGUE = (
    "code,name,category,price,discount_percent,outlet_name,outlet_lat,outlet_lon\n"
    "coffee,Coffee,drinks,200,0,,,\n"
    "cake,Cake,drinks,300,0,,,\n"
)
FLOOR = 3


@dataclass
class World:
    services: Services
    alpha: int  # company ids
    beta: int

    def tma(self, user_id: int, **kwargs: object) -> dict[str, str]:
        return {"Authorization": "tma " + sign(user_id, **kwargs)}  # type: ignore[arg-type]


def workspace_settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=data_dir,
        bot_token=TOKEN,
        link_secret="workspace-test",
        admin_ids=str(OPERATOR),
        min_audience=FLOOR,
    )


async def seed(services: Services) -> World:
    now = datetime.now(UTC)
    start = now - timedelta(days=7 * 20)
    ids = {}
    for code, name, buyers, amount in (
        ("alpha", "Alpha Cafe", 12, 150),
        ("beta", "Beta Bar", 9, 900),
    ):
        await services.companies.add(name, code)
        await services.loyalty.catalog.import_csv(code, CATALOGUE)
        lines = []
        for n in range(buyers):
            member = await add_member(services.db, f"{code}{n}", code, 80_000 + len(ids) * 100 + n)
            weeks = range(0, 20, 1 + n % 4) if n % 5 else range(0, 10, 2)  # some stop coming
            for week in weeks:
                at = start + timedelta(days=7 * week, hours=n)
                lines.append(f"{member.pseudonym},coffee,{amount + 10 * n},{at.isoformat()}")
        await services.loyalty.purchases.import_csv(
            code, "client,service,amount,time\n" + "\n".join(lines)
        )
        ids[code] = (await services.companies.get(code)).id
    await services.roles.grant("partner", ALPHA_ADMIN, "alpha")
    await services.roles.grant("partner", BETA_ADMIN, "beta")
    await services.roles.grant("marketer", MARKETER)
    await services.analytics_job.run()
    return World(services, ids["alpha"], ids["beta"])


@pytest.fixture(scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> AsyncIterator[World]:
    import shutil

    folder = tmp_path_factory.mktemp("workspace")
    shutil.copy(sqlite_template, folder / "refbot.sqlite3")
    services = build_services(
        workspace_settings(f"sqlite+aiosqlite:///{folder / 'refbot.sqlite3'}", folder)
    )
    try:
        yield await seed(services)
    finally:
        await services.close()


@pytest.fixture(scope="module")
async def http(world: World) -> AsyncIterator[httpx.AsyncClient]:
    app = build_http_app(world.services)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://workspace.test") as client:
        yield client
