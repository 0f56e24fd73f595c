"""Lead pipeline throughput: client cards taken from pending to offered per
second, for 10,000 cards of 10,000 members, beside the floor every pass
stands on: other members' offers computed by OfferService.offers_for alone
(what /offers does per request), in the same run on the same database.

The floor's members are scored for the first time, as the pass's are (their
shown offer rows get written). The pass does that scoring too, then the
calibration, the pick, the send (here a no-op) and three conditional moves
with their transition rows, a batch per write transaction; the ratio says
what the pipeline's bookkeeping costs over the scoring.

    nice -n 10 .venv/bin/python bench/bench_pipeline.py [--cards 10000] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select  # noqa: E402

from migrations.runner import upgrade_async  # noqa: E402
from referral.companies import CompanyService  # noqa: E402
from referral.db import create_engine, create_sessionmaker  # noqa: E402
from referral.leads.cards import CardIn  # noqa: E402
from referral.leads.pipeline import SENT, LeadPipeline  # noqa: E402
from referral.leads.service import LeadService  # noqa: E402
from referral.leads.webhooks import WebhookOutbox  # noqa: E402
from referral.ledger.ledger import Ledger  # noqa: E402
from referral.ledger.services import build_loyalty  # noqa: E402
from referral.models import Company, Member  # noqa: E402
from referral.offers.models import Lead  # noqa: E402
from referral.offers.service import OfferService  # noqa: E402
from tests.services import create_pg_database, drop_pg_database  # noqa: E402

CATALOGUE = "code,name,category,price,discount_percent,outlet_name,outlet_lat,outlet_lon\n"
PARTNERS = {
    "cafe": [("coffee", "drinks"), ("cake", "desserts")],
    "gym": [("daypass", "sport"), ("yoga", "classes")],
    "spa": [("massage", "wellness"), ("sauna", "wellness")],
    "books": [("novel", "books"), ("atlas", "books")],
}
NOON = datetime(2026, 12, 1, 10, tzinfo=UTC)  # 13:00 in Moscow


class Discard:
    """The bot's side, minus Telegram: every offer counts as sent."""

    async def offer(self, offer) -> str:  # type: ignore[no-untyped-def]
        return SENT

    async def tell_partner(self, notice) -> None:  # type: ignore[no-untyped-def]
        return None


async def seed(db, cards: int, spare: int) -> tuple[list[int], int]:
    """The partners, ``cards`` members with a card each and ``spare`` members
    without (the scoring floor's, so it too scores members never scored before);
    returns the spare members' ids and the cards-in rate."""
    companies = CompanyService(db)
    loyalty = build_loyalty(db, Ledger(db), b"k" * 32)
    for code, services in PARTNERS.items():
        await companies.add(code.title(), code)
        rows = "".join(f"{s},{s.title()},{cat},500,0,,,\n" for s, cat in services)
        await loyalty.catalog.import_csv(code, CATALOGUE + rows)
    async with db.begin() as session:
        cafe = await session.scalar(select(Company.id).where(Company.code == "cafe"))
        await session.execute(
            insert(Member),
            [
                {
                    "pseudonym": secrets.token_hex(5),
                    "telegram_id": 10**9 + n,
                    "company_id": cafe,
                    "language": "ru",
                }
                for n in range(cards + spare)
            ],
        )
        members = list((await session.scalars(select(Member.id).order_by(Member.id))).all())
        codes = list((await session.scalars(select(Member.pseudonym).order_by(Member.id))).all())
    spares, codes = members[cards:], codes[:cards]
    # Some history so popularity has something to rank (no trained model: its fallback).
    buyers = codes[:300]
    for code, services in PARTNERS.items():
        lines = [
            f"{p},{services[n % 2][0]},500,{(NOON - timedelta(days=3 + n % 20)).isoformat()}"
            for n, p in enumerate(buyers)
        ]
        await loyalty.purchases.import_csv(code, "client,service,amount,time\n" + "\n".join(lines))
    started = time.perf_counter()
    leads = LeadService(db)
    for n, code in enumerate(codes):
        await leads.receive_card(cafe, CardIn(f"deal-{n}", ("coffee",), 50_000, True, code), NOON)
    return spares, int(cards / (time.perf_counter() - started))


async def run(url: str, cards: int, data_dir: Path) -> None:
    await upgrade_async(url)
    engine = create_engine(url)
    db = create_sessionmaker(engine)
    try:
        spares, cards_in = await seed(db, cards, max(1, cards // 5))
        offers = OfferService(db, data_dir)
        pipeline = LeadPipeline(
            db, offers, WebhookOutbox(db), zone=ZoneInfo("Europe/Moscow"), quiet_window=None
        )
        started = time.perf_counter()
        report = await pipeline.run(Discard(), NOON)
        pipeline_seconds = time.perf_counter() - started
        async with db() as session:
            offered = await session.scalar(
                select(func.count()).select_from(Lead).where(Lead.status == "offered")
            )
        # The floor: scoring members once each (first time, as the pass does), nothing else.
        sample = spares
        started = time.perf_counter()
        for member_id in sample:
            await offers.offers_for(member_id, n=5, now=NOON)
        scoring_rate = len(sample) / (time.perf_counter() - started)
    finally:
        await engine.dispose()
    rate = cards / pipeline_seconds
    print(f"  client cards in (POST path, one transaction each): {cards_in}/s")
    print(f"  pass: {report}")
    print(
        f"  pending -> offered: {offered} of {cards} cards"
        f" in {pipeline_seconds:.1f} s = {rate:.0f}/s"
    )
    print(f"  offers_for alone (the scoring floor), {len(sample)} members: {scoring_rate:.0f}/s")
    print(f"  pipeline / scoring floor: {rate / scoring_rate:.2f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true", help="also on the local PostgreSQL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite (WAL), {args.cards} cards:")
        await run(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", args.cards, Path(tmp))
        if args.postgres:
            url = await create_pg_database()
            try:
                print(f"PostgreSQL, {args.cards} cards:")
                await run(url, args.cards, Path(tmp) / "pg")
            finally:
                await drop_pg_database(url)


if __name__ == "__main__":
    asyncio.run(main())
