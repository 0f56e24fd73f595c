"""Ledger postings per second beside a bare single-row insert transaction,
on SQLite and PostgreSQL, one client and 16 concurrent, in the same run.

    /work/venv/bin/python bench/bench_ledger.py [--seconds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from migrations.runner import upgrade_async  # noqa: E402
from referral.companies import CompanyService  # noqa: E402
from referral.db import create_engine, create_sessionmaker  # noqa: E402
from referral.ledger.ledger import Ledger  # noqa: E402
from referral.links import LinkTarget  # noqa: E402
from referral.members import MemberService  # noqa: E402
from referral.roles import RoleService  # noqa: E402
from tests.services import create_pg_database, drop_pg_database  # noqa: E402


async def rate(make_op, clients: int, seconds: float) -> float:
    done = 0
    stop = time.perf_counter() + seconds

    async def client(c: int) -> None:
        nonlocal done
        i = 0
        while time.perf_counter() < stop:
            await make_op(c, i)
            i += 1
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    return done / (time.perf_counter() - start)


async def measure(url: str, label: str, seconds: float) -> None:
    await upgrade_async(url)
    engine = create_engine(url, pool_size=20) if not url.startswith("sqlite") else create_engine(url)
    db = create_sessionmaker(engine)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE bench_bare (id INTEGER PRIMARY KEY, k VARCHAR(64), v BIGINT)"))
    company = await CompanyService(db).add("Bench", "bench")
    members = MemberService(db, RoleService(db, frozenset()))
    ids = [(await members.accept_consent(10_000 + i, LinkTarget("bench"), "ru"))[0].id for i in range(16)]
    ledger = Ledger(db)
    await ledger.deposit(company.id, 10**15, "bench-deposit")
    counter = iter(range(10**9))

    async def bare(c: int, i: int) -> None:
        async with db.begin() as session:
            await session.execute(text("INSERT INTO bench_bare (id, k, v) VALUES (:id, :k, 1)"),
                                  {"id": next(counter), "k": f"{label}:{c}:{i}"})

    async def posting(c: int, i: int) -> None:
        await ledger.award_points(ids[c], company.id, 1, "bench", f"{label}:{c}:{i}:{time.time_ns()}")

    for clients in (1, 16):
        b = await rate(bare, clients, seconds)
        p = await rate(posting, clients, seconds)
        print(f"{label:10s} clients={clients:2d}  bare insert {b:8.0f}/s  ledger posting {p:8.0f}/s"
              f"  ratio {p / b:.2f}", flush=True)
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0)
    seconds = parser.parse_args().seconds
    with tempfile.TemporaryDirectory() as tmp:
        await measure(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", "sqlite", seconds)
    url = await create_pg_database()
    try:
        await measure(url, "postgresql", seconds)
    finally:
        await drop_pg_database(url)


if __name__ == "__main__":
    asyncio.run(main())
