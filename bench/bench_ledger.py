"""Ledger postings per second beside a bare single-row insert transaction,
on SQLite and PostgreSQL, one client and 16 concurrent, in the same run.

With 16 clients it measures twice: every award drawn on one partner's deposit
(one balance row, which every posting must change, so those postings take
turns by design) and each client drawing on its own partner's deposit.

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


async def rate(make_op, clients: int, seconds: float) -> tuple[int, float]:
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
    return done, time.perf_counter() - start


async def compare(
    ops: dict[str, object], clients: int, seconds: float, rounds: int = 3
) -> dict[str, float]:
    """Rates of ``ops`` taking turns in short rounds, so that a neighbour's load
    on the shared machine falls on all of them alike."""
    done = dict.fromkeys(ops, 0)
    spent = dict.fromkeys(ops, 0.0)
    for _ in range(rounds):
        for name, op in ops.items():
            n, t = await rate(op, clients, seconds / rounds)
            done[name] += n
            spent[name] += t
    return {name: done[name] / spent[name] for name in ops}


async def measure(url: str, label: str, seconds: float) -> None:
    await upgrade_async(url)
    engine = create_engine(url) if url.startswith("sqlite") else create_engine(url, pool_size=20)
    db = create_sessionmaker(engine)
    async with engine.begin() as conn:
        await conn.execute(
            text("CREATE TABLE bench_bare (id INTEGER PRIMARY KEY, k VARCHAR(64), v BIGINT)")
        )
    companies = [await CompanyService(db).add(f"Bench {n}", f"bench{n}") for n in range(16)]
    members = MemberService(db, RoleService(db, frozenset()))
    ids = [
        (await members.accept_consent(10_000 + i, LinkTarget("bench0"), "ru"))[0].id
        for i in range(16)
    ]
    ledger = Ledger(db)
    for company in companies:
        await ledger.deposit(company.id, 10**15, f"bench-deposit-{company.id}")
    counter = iter(range(10**9))
    keys = iter(range(10**9))  # a fresh idempotency key for every posting

    async def bare(c: int, i: int) -> None:
        async with db.begin() as session:
            await session.execute(
                text("INSERT INTO bench_bare (id, k, v) VALUES (:id, :k, 1)"),
                {"id": next(counter), "k": f"{label}:{c}:{i}"},
            )

    async def one_deposit(c: int, i: int) -> None:  # every client draws on one partner's deposit
        await ledger.award_points(ids[c], companies[0].id, 1, "bench", f"{label}:{next(keys)}")

    async def own_deposit(c: int, i: int) -> None:  # client c draws on partner c's deposit
        await ledger.award_points(ids[c], companies[c].id, 1, "bench", f"{label}:{next(keys)}")

    one = await compare({"bare": bare, "posting": one_deposit}, 1, seconds)
    print(
        f"{label:10s} clients= 1  bare insert {one['bare']:6.0f}/s  ledger posting "
        f"{one['posting']:6.0f}/s  ratio {one['posting'] / one['bare']:.2f}",
        flush=True,
    )
    many = await compare({"bare": bare, "hot": one_deposit, "spread": own_deposit}, 16, seconds)
    for name, what in (("hot", "one partner deposit"), ("spread", "16 partner deposits")):
        print(
            f"{label:10s} clients=16  bare insert {many['bare']:6.0f}/s  ledger posting "
            f"{many[name]:6.0f}/s  ratio {many[name] / many['bare']:.2f}  ({what})",
            flush=True,
        )
    await engine.dispose()


async def on_both_backends(measure, default_seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Run ``measure(url, label, seconds)`` on a fresh SQLite file, then on a
    fresh PostgreSQL database; --seconds from the command line."""
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--seconds", type=float, default=default_seconds, help="per measured line and kind"
    )
    seconds = parser.parse_args().seconds
    with tempfile.TemporaryDirectory() as tmp:
        await measure(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", "sqlite", seconds)
    url = await create_pg_database()
    try:
        await measure(url, "postgresql", seconds)
    finally:
        await drop_pg_database(url)


async def main() -> None:
    await on_both_backends(measure, 4.0)


if __name__ == "__main__":
    asyncio.run(main())
