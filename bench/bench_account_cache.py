"""Ledger awards per second with the ledger's account cache and without it,
taking turns in the same run, on SQLite and PostgreSQL, 1 and 16 clients.

The cache (referral/ledger/account_cache.py, fed by the process-wide Session
hooks in referral/ledger/session_hooks.py) saves an award the look-ups of both
accounts' ids and kinds. It stays only while this shows a gain beyond noise.

    python bench/bench_account_cache.py [--seconds 6]
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ledger import compare, on_both_backends  # noqa: E402

from migrations.runner import upgrade_async  # noqa: E402
from referral.companies import CompanyService  # noqa: E402
from referral.db import create_engine, create_sessionmaker  # noqa: E402
from referral.ledger import accounts  # noqa: E402
from referral.ledger.account_cache import KnownAccounts, known_accounts  # noqa: E402
from referral.ledger.ledger import Ledger  # noqa: E402
from referral.links import LinkTarget  # noqa: E402
from referral.members import MemberService  # noqa: E402
from referral.roles import RoleService  # noqa: E402


def _forgetful(_connection: object) -> KnownAccounts:
    return KnownAccounts()  # a fresh, empty cache on every look-up: no cache at all


async def measure(url: str, label: str, seconds: float) -> None:
    await upgrade_async(url)
    engine = create_engine(url) if url.startswith("sqlite") else create_engine(url, pool_size=20)
    db = create_sessionmaker(engine)
    company = await CompanyService(db).add("Bench", "bench0")
    members = MemberService(db, RoleService(db, frozenset()))
    ids = [
        (await members.accept_consent(10_000 + i, LinkTarget("bench0"), "ru"))[0].id
        for i in range(16)
    ]
    ledger = Ledger(db)
    await ledger.deposit(company.id, 10**15, "bench-deposit")
    keys = iter(range(10**9))

    async def cached(client: int, _i: int) -> None:
        accounts.known_accounts = known_accounts
        await ledger.award_points(ids[client], company.id, 1, "bench", f"a{next(keys)}")

    async def uncached(client: int, _i: int) -> None:
        accounts.known_accounts = _forgetful
        await ledger.award_points(ids[client], company.id, 1, "bench", f"a{next(keys)}")

    try:
        for clients in (1, 16):
            rates = await compare({"cached": cached, "uncached": uncached}, clients, seconds, 6)
            with_cache, without = rates["cached"], rates["uncached"]
            print(
                f"{label:10s} clients={clients:2d}  with the cache {with_cache:6.0f}/s  "
                f"without {without:6.0f}/s  ratio {with_cache / without:.2f}",
                flush=True,
            )
    finally:
        accounts.known_accounts = known_accounts
        await engine.dispose()


async def main() -> None:
    await on_both_backends(measure, 6.0)


if __name__ == "__main__":
    asyncio.run(main())
