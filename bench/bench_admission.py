"""CPU time per update of the two transactions every new user pays for:
admission (the dedupe claim and who sent it) and acceptance (member and
consent), run as the group committer runs them, in batches of 60-160.

    python bench/bench_admission.py [--batches 40] [--database-url URL] [--root DIR]

--root measures the checkout at DIR instead of this one, so two versions can
be compared on the same machine in the same minute:

    git worktree add /tmp/before e564c1d
    python bench/bench_admission.py && python bench/bench_admission.py --root /tmp/before

The default database is a fresh SQLite file, migrated first; the batches'
sizes come from a fixed seed, so every run sends the same work, after two
small batches that warm the statement cache up.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

TOKEN = "123456789:bench-token"


async def measure(url: str, batches: int) -> tuple[float, float, int]:
    from migrations.runner import upgrade_async
    from refbot.services import build_services
    from refbot.settings import Settings
    from referral.consent import CONSENT_VERSION
    from referral.gate import UpdateGate, _Request
    from referral.links import LinkTarget
    from referral.members import _Acceptance

    await upgrade_async(url)
    settings = Settings(_env_file=None, bot_token=TOKEN, database_url=url, link_secret="bench")
    services = build_services(settings)
    code = f"b{time.time_ns() % 10**8}"  # a PostgreSQL database outlives the run
    await services.companies.add("Bench", code)
    gate, members, target = (
        UpdateGate(services.db, services.roles),
        services.members,
        LinkTarget(code),
    )
    bot_id, first_id = 10**9 + time.time_ns() % 10**9, 2**40 + time.time_ns() % 10**9
    sizes = random.Random(1).choices(range(60, 161), k=batches)
    admit = accept = 0.0
    try:
        # Two small batches first, as a running bot has long since compiled
        # the statements a batch of any size shares.
        for warm_up in (first_id - 20, first_id - 10):
            ids = range(warm_up, warm_up + 5)
            await gate._admit_all([_Request(bot_id, i, i) for i in ids])
            await members._accept_all([_Acceptance(i, target, "ru", CONSENT_VERSION) for i in ids])
        next_id = first_id
        for size in sizes:
            ids = range(next_id, next_id + size)
            started = time.process_time()
            await gate._admit_all([_Request(bot_id, i, i) for i in ids])
            admit += time.process_time() - started
            started = time.process_time()
            await members._accept_all([_Acceptance(i, target, "ru", CONSENT_VERSION) for i in ids])
            accept += time.process_time() - started
            next_id += size
    finally:
        await services.close()
    return admit, accept, sum(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve()))
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        admit, accept, users = asyncio.run(measure(url, args.batches))
    print(f"code: {args.root.resolve()}; {users} users in {args.batches} batches of 60-160")
    print(f"admission   {1e6 * admit / users:7.1f} us of CPU per update")
    print(f"acceptance  {1e6 * accept / users:7.1f} us of CPU per new member")


if __name__ == "__main__":
    main()
