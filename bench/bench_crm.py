"""How long a CRM waits for refbot to answer its webhook: the latency of
POST /crm/bitrix24/<token> (Bitrix24's ONCRMDEALUPDATE form, recorded, the
deal read back afterwards) beside a bare FastAPI handler that parses the same
form and INSERTs one row, in the same run, 1 and 8 concurrent CRMs.

refbot runs as deployed (`refbot api`, its own process), connected to a stub
Bitrix24 on 127.0.0.1 whose crm.deal.get takes 300 ms: the answer must not
wait for that read-back. Every call is a new deal update (its own ``ts``), so
each is recorded. The two servers take turns in short rounds so a neighbour's
load on the shared machine falls on both.

    .venv/bin/python bench/bench_crm.py [--calls 300]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from fastapi import Request  # noqa: E402  (module level: FastAPI resolves the annotation)

from bench import servers  # noqa: E402
from tests.api.crm_fixtures import bitrix24_deal, bitrix24_deal_update  # noqa: E402
from tests.net import free_port  # noqa: E402

APP_TOKEN = "51856fefc120afa4b628cc82d3935cce"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
READ_BACK_DELAY = 0.3


def bare_app(database_url: str):  # type: ignore[no-untyped-def]
    """The baseline: FastAPI, the same form parsed, one INSERT in a transaction."""
    from fastapi import FastAPI
    from sqlalchemy import text

    from referral.crm.forms import parse_form
    from referral.db import create_engine

    engine = create_engine(database_url)
    app = FastAPI()

    @app.post("/bare")
    async def bare(request: Request) -> dict:
        form = parse_form(await request.body())
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO bench_bare (k) VALUES (:k)"),
                {"k": f"{form['data']['FIELDS']['ID']}:{form['ts']}"},
            )
        return {"received": 1}

    return app


async def stub_bitrix24(port: int) -> web.AppRunner:
    """A portal whose crm.deal.get answers an open deal after READ_BACK_DELAY."""

    async def method(request: web.Request) -> web.Response:
        body = await request.json()
        await asyncio.sleep(READ_BACK_DELAY)
        return web.json_response({"result": bitrix24_deal(str(body["id"]), "P", "100.00", None)})

    app = web.Application()
    app.router.add_post("/rest/1/{key}/{method}", method)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def seed(database_url: str, data_dir: Path, portal: str) -> str:
    from referral.crm.connections import bitrix24_settings

    async with servers.seeding(database_url, data_dir, "k VARCHAR(64)") as services:
        await services.companies.add("Bench Coffee", "bench")
        await services.loyalty.catalog.import_csv(
            "bench", "code,name,category,price\nlatte,Latte,coffee,450\n"
        )
        return await services.crm.connect(
            "bench", "bitrix24", bitrix24_settings(portal, APP_TOKEN, "UF_CRM_REFBOT", "latte")
        )


async def latencies(url: str, bodies, clients: int, calls: int) -> list[float]:
    spent: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as http:

        async def client() -> None:
            while len(spent) < calls:
                began = time.perf_counter()
                async with http.post(url, data=next(bodies), headers=FORM) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{url}: {response.status} {await response.text()}")
                spent.append(time.perf_counter() - began)

        await asyncio.gather(*(client() for _ in range(clients)))
    return spent


def figures(spent: list[float]) -> str:
    cuts = statistics.quantiles(spent, n=100)
    return f"p50 {cuts[49] * 1000:5.1f} ms  p99 {cuts[98] * 1000:6.1f} ms"


async def measure(calls: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        portal_port, refbot_port, bare_port = free_port(), free_port(), free_port()
        portal = await stub_bitrix24(portal_port)
        path = await seed(database_url, Path(tmp), f"http://127.0.0.1:{portal_port}/rest/1/k/")
        env = servers.server_env(database_url, tmp)
        counter = iter(range(10**9))

        def bodies():  # type: ignore[no-untyped-def]
            while True:
                n = next(counter)
                yield bitrix24_deal_update(str(1 + n % 500), APP_TOKEN, ts=str(1736405807 + n))

        targets = {
            "refbot": f"http://127.0.0.1:{refbot_port}{path}",
            "bare": f"http://127.0.0.1:{bare_port}/bare",
        }
        try:
            async with servers.refbot_and_bare(__file__, env, refbot_port, bare_port):
                for clients in (1, 8):
                    spent: dict[str, list[float]] = {name: [] for name in targets}
                    for _ in range(3):
                        for name, url in targets.items():
                            spent[name] += await latencies(url, bodies(), clients, calls // 3)
                    ratio = statistics.median(spent["refbot"]) / statistics.median(spent["bare"])
                    print(
                        f"sqlite clients={clients}  bare form+insert {figures(spent['bare'])}  "
                        f"POST /crm/bitrix24 {figures(spent['refbot'])}  p50 ratio {ratio:.2f}",
                        flush=True,
                    )
        finally:
            await portal.cleanup()


async def main() -> None:
    parser = servers.bench_parser()
    parser.add_argument("--calls", type=int, default=300, help="per line and server")
    args = parser.parse_args()
    if args.bare_server:
        await servers.serve_bare(bare_app(os.environ["DATABASE_URL"]), args.bare_server)
        return
    print(f"the stub portal's crm.deal.get takes {READ_BACK_DELAY * 1000:.0f} ms", flush=True)
    await measure(args.calls)


if __name__ == "__main__":
    asyncio.run(main())
