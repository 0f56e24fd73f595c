"""POST /api/v1/purchases requests per second beside a bare FastAPI handler
doing one INSERT in a transaction, on SQLite and PostgreSQL, 1 and 16
concurrent clients, in the same run.

Each server runs in its own process the way it is deployed (`refbot api`;
the bare app under the same uvicorn and the same engine settings), so client
and server do not share an interpreter. Both get the same JSON body; every
request is a new purchase (refbot: member and service checked, the purchase
row, its cashback and points transfers through the ledger). The two take turns in
short rounds so a neighbour's load on the shared machine falls on both.

    .venv/bin/python bench/bench_api.py [--seconds 6]
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from bench import servers  # noqa: E402
from tests.net import free_port  # noqa: E402

MEMBERS = 100


class BareBody(BaseModel):
    """The same JSON body refbot's route reads."""

    purchase_id: str
    member: str
    service: str
    amount_minor: int
    time: str


def bare_app(database_url: str):  # type: ignore[no-untyped-def]
    """The baseline: FastAPI, the same pydantic body, one INSERT in a transaction."""
    from fastapi import FastAPI
    from sqlalchemy import text

    from referral.db import create_engine

    engine = create_engine(database_url)
    app = FastAPI()

    @app.post("/bare")
    async def bare(body: BareBody) -> dict:
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO bench_bare (k, v) VALUES (:k, :v)"),
                {"k": body.purchase_id, "v": body.amount_minor},
            )
        return {"purchase_id": body.purchase_id}

    return app


async def seed(database_url: str, data_dir: Path) -> tuple[str, list[str]]:
    """A company with a catalogue, rules and deposits, members, a key."""
    from referral.links import LinkTarget

    async with servers.seeding(database_url, data_dir, "k VARCHAR(64), v BIGINT") as services:
        company = await services.companies.add("Bench Coffee", "bench")
        loyalty = services.loyalty
        await loyalty.catalog.import_csv(
            "bench", "code,name,category,price\nlatte,Latte,coffee,450\n"
        )
        await loyalty.rules.set("bench", {"cashback": "10", "purchase_points": "5"})
        for currency in ("cashback", "points"):
            await loyalty.ledger.deposit(company.id, 10**15, f"bench-{currency}", currency=currency)
        members = [
            (await services.members.accept_consent(50_000 + n, LinkTarget("bench"), "ru"))[
                0
            ].pseudonym
            for n in range(MEMBERS)
        ]
        _, key = await services.apikeys.create("bench", "bench")
    return key, members


async def rate(url: str, headers: dict, bodies, clients: int, seconds: float) -> tuple[int, float]:
    done = 0
    stop = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:

        async def client() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                async with http.post(url, json=next(bodies)) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{url}: {response.status} {await response.text()}")
                done += 1

        start_at = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
    return done, time.perf_counter() - start_at


async def measure(database_url: str, label: str, seconds: float, data_dir: Path) -> None:
    key, members = await seed(database_url, data_dir)
    refbot_port, bare_port = free_port(), free_port()
    env = servers.server_env(database_url, data_dir, API_RATE_PER_MINUTE=str(10**9))
    counter = iter(range(10**9))

    def bodies():  # type: ignore[no-untyped-def]
        while True:
            n = next(counter)
            yield {
                "purchase_id": f"{label}-{n}",
                "member": members[n % MEMBERS],
                "service": "latte",
                "amount_minor": 45050,
                "time": "2026-11-30T14:30:00+03:00",
            }

    targets = {
        "refbot": (
            f"http://127.0.0.1:{refbot_port}/api/v1/purchases",
            {"Authorization": f"Bearer {key}"},
        ),
        "bare": (f"http://127.0.0.1:{bare_port}/bare", {}),
    }
    async with servers.refbot_and_bare(__file__, env, refbot_port, bare_port):
        for clients in (1, 16):
            done = dict.fromkeys(targets, 0)
            spent = dict.fromkeys(targets, 0.0)
            for _ in range(3):
                for name, (url, headers) in targets.items():
                    n, t = await rate(url, headers, bodies(), clients, seconds / 3)
                    done[name] += n
                    spent[name] += t
            ours, theirs = done["refbot"] / spent["refbot"], done["bare"] / spent["bare"]
            print(
                f"{label:10s} clients={clients:2d}  bare FastAPI insert {theirs:6.0f}/s  "
                f"POST /api/v1/purchases {ours:6.0f}/s  ratio {ours / theirs:.2f}",
                flush=True,
            )


async def main() -> None:
    parser = servers.bench_parser()
    parser.add_argument("--seconds", type=float, default=6.0, help="per line and server")
    args = parser.parse_args()
    if args.bare_server:
        await servers.serve_bare(bare_app(os.environ["DATABASE_URL"]), args.bare_server)
        return
    from tests.services import create_pg_database, drop_pg_database

    with tempfile.TemporaryDirectory() as tmp:
        await measure(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", "sqlite", args.seconds, Path(tmp))
        url = await create_pg_database()
        try:
            await measure(url, "postgresql", args.seconds, Path(tmp))
        finally:
            await drop_pg_database(url)


if __name__ == "__main__":
    asyncio.run(main())
