"""A large partner network for benchmarks: companies in categories with a
catalogue each, members with profile bands, and purchases over 18 months.

    python bench/large_network.py --out /tmp/big.sqlite3     # 1,000,000 purchases

Members buy at one to three partners, most often at the first; some stop
buying part-way (so retention and churn have something to find), and amounts
are log-normal around each partner's own level. Rows are inserted in bulk:
this arranges the world a benchmark measures, it is not what is measured.
Seeded: the same arguments give the same network.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from migrations.runner import upgrade_async  # noqa: E402
from referral.consent import CONSENT_VERSION  # noqa: E402
from referral.db import create_engine, create_sessionmaker  # noqa: E402
from referral.ledger.activity_models import Purchase  # noqa: E402
from referral.ledger.catalogue_models import Service  # noqa: E402
from referral.models import Company, Consent, Member  # noqa: E402

CATEGORIES = ("cafe", "fitness", "beauty", "books", "pharmacy")
AGES = ("18-24", "25-34", "35-44", "45-54", "55+", None)
INCOMES = ("<50k", "50-100k", "100-200k", ">200k", None)
REGIONS = ("Москва", "Санкт-Петербург", "Казань", "Екатеринбург", "Новосибирск", None)
SERVICES_PER_COMPANY = 3
HISTORY_DAYS = 540
BATCH = 20_000


async def generate(
    url: str,
    companies: int = 50,
    members: int = 100_000,
    purchases: int = 1_000_000,
    seed: int = 0,
    now: datetime | None = None,
) -> None:
    """Migrate ``url`` and fill it; ``now`` is the end of the history."""
    now = now or datetime.now(UTC)
    rng = np.random.default_rng(seed)
    await upgrade_async(url)
    engine = create_engine(url)
    db = create_sessionmaker(engine)
    try:
        async with db.begin() as session:
            await session.execute(
                insert(Company),
                [
                    {"id": c + 1, "code": f"p{c:03d}", "name": f"Partner {c:03d}"}
                    for c in range(companies)
                ],
            )
            await session.execute(
                insert(Service),
                [
                    {
                        "id": c * SERVICES_PER_COMPANY + s + 1,
                        "company_id": c + 1,
                        "code": f"s{s}",
                        "name": f"Service {s} of {c:03d}",
                        "category": CATEGORIES[c % len(CATEGORIES)],
                        "price_minor": int(rng.integers(100, 5000)) * 100,
                        "discount_percent": 0,
                        "active": True,
                    }
                    for c in range(companies)
                    for s in range(SERVICES_PER_COMPANY)
                ],
            )
        home = rng.integers(0, companies, members)
        await _members(db, rng, members, home, now)
        await _purchases(db, rng, members, purchases, companies, home, now)
    finally:
        await engine.dispose()


async def _members(db, rng, members: int, home: np.ndarray, now: datetime) -> None:  # type: ignore[no-untyped-def]
    ages, incomes, regions = (rng.integers(0, len(v), members) for v in (AGES, INCOMES, REGIONS))
    for start in range(0, members, BATCH):
        stop = min(members, start + BATCH)
        async with db.begin() as session:
            await session.execute(
                insert(Member),
                [
                    {
                        "id": i + 1,
                        "pseudonym": f"b{i:09d}",
                        "telegram_id": 9_000_000_000 + i,
                        "company_id": int(home[i]) + 1,
                        "language": "ru",
                        "age_band": AGES[ages[i]],
                        "income_band": INCOMES[incomes[i]],
                        "region": REGIONS[regions[i]],
                        "reachable": True,
                    }
                    for i in range(start, stop)
                ],
            )
            await session.execute(
                insert(Consent),
                [
                    {
                        "member_id": i + 1,
                        "company_id": int(home[i]) + 1,
                        "version": CONSENT_VERSION,
                        "accepted_at": now,
                    }
                    for i in range(start, stop)
                ],
            )


async def _purchases(  # type: ignore[no-untyped-def]
    db, rng, members: int, purchases: int, companies: int, home: np.ndarray, now: datetime
) -> None:
    # Who buys: a heavy-tailed activity per member; where: the home partner
    # most of the time, else one of two others; when: within the member's own
    # active window, which for a third of them ends before today.
    activity = rng.pareto(1.5, members) + 1.0
    buyer = rng.choice(members, purchases, p=activity / activity.sum())
    others = rng.integers(0, companies, (members, 2))
    pick = rng.random(purchases)
    company = np.where(
        pick < 0.7, home[buyer], np.where(pick < 0.85, others[buyer, 0], others[buyer, 1])
    )
    begin = rng.uniform(0, HISTORY_DAYS * 0.8, members)
    length = rng.uniform(60, HISTORY_DAYS, members)
    stops = rng.random(members) < 0.33
    end = np.where(stops, np.minimum(begin + length, HISTORY_DAYS - 30), HISTORY_DAYS)
    day = begin[buyer] + rng.random(purchases) * np.maximum(end[buyer] - begin[buyer], 1.0)
    level = rng.uniform(300, 3000, companies)
    amount = np.maximum(100, (rng.lognormal(0, 0.5, purchases) * level[company] * 100)).astype(int)
    service = company * SERVICES_PER_COMPANY + rng.integers(0, SERVICES_PER_COMPANY, purchases)
    origin = now - timedelta(days=HISTORY_DAYS)
    for start in range(0, purchases, BATCH):
        stop = min(purchases, start + BATCH)
        async with db.begin() as session:
            await session.execute(
                insert(Purchase),
                [
                    {
                        "company_id": int(company[i]) + 1,
                        "member_id": int(buyer[i]) + 1,
                        "service_id": int(service[i]) + 1,
                        "amount_minor": int(amount[i]),
                        "purchased_at": origin + timedelta(days=float(day[i])),
                        "client_ref": f"b{int(buyer[i]):09d}",
                        "receipt": f"r{i}",
                        "status": "completed",
                        "imported_at": now,
                    }
                    for i in range(start, stop)
                ],
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="SQLite file to create")
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=1_000_000)
    args = parser.parse_args()
    started = time.perf_counter()
    asyncio.run(
        generate(
            f"sqlite+aiosqlite:///{Path(args.out).resolve()}",
            args.companies,
            args.members,
            args.purchases,
        )
    )
    print(f"generated {args.purchases:,} purchases in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
