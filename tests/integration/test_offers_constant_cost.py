"""/offers reads only the member's own rows: what every member shares (catalogue,
rules, floors, cross links, popularity) is held in memory and rebuilt when the
change stamp says another process changed it."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from referral.ledger.ledger import Ledger
from referral.ledger.services import build_loyalty
from referral.models import Company
from referral.offers.crossmatrix import CrossMatrixService
from referral.offers.service import OfferService
from tests.offers_world import START, add_member, seed
from tests.statements import record_statements

NOW = START + timedelta(days=30)
SHARED_TABLES = (
    "services",
    "companies",
    "cross_services",
    "offer_settings",
    "ledger_rules",
    "bundles",
    "bundle_items",
    "outlets",
)
MEMBER_TABLES = ("purchases", "offer_feedback", "leads", "shown_offers")


def tables_of(sql: str) -> set[str]:
    return set(re.findall(r"(?:FROM|JOIN|INTO|UPDATE)\s+\"?(\w+)", sql, flags=re.IGNORECASE))


async def newcomer(db, telegram_id: int) -> int:
    """A member with one coffee, through the import path partners use."""
    member = await add_member(db, f"m{telegram_id}", "cafe", telegram_id)
    loyalty = build_loyalty(db, Ledger(db), b"k" * 32)
    await loyalty.purchases.import_csv(
        "cafe", f"client,service,amount,time\n{member.pseudonym},coffee,100,{START.isoformat()}\n"
    )
    return member.id


async def grow(db) -> None:
    """Many more services, members, purchases and cross links."""
    loyalty = build_loyalty(db, Ledger(db), b"k" * 32)
    lines = [f"s{i},Service {i},cat{i % 40},{100 + i},0,,," for i in range(300)]
    await loyalty.catalog.import_csv(
        "cafe",
        "code,name,category,price,discount_percent,outlet_name,outlet_lat,outlet_lon\n"
        + "\n".join(lines),
    )
    buys = []
    for m in range(40):
        member = await add_member(db, f"big{m}", "cafe", 50_000 + m)
        buys += [
            f"{member.pseudonym},s{(m * 7 + d) % 300},{100 + d},"
            f"{(START + timedelta(days=d)).isoformat()}"
            for d in range(25)
        ]
    await loyalty.purchases.import_csv("cafe", "client,service,amount,time\n" + "\n".join(buys))
    cross = [f"cafe,s{i},cafe,s{i + 1},1" for i in range(0, 200, 2)]
    await CrossMatrixService(db).import_csv(
        "company_a,service_a,company_b,service_b,weight\n" + "\n".join(cross)
    )


async def recorded_offers(db, offers: OfferService, member_id: int) -> list[str]:
    statements = record_statements(db)
    shown = await offers.offers_for(member_id, now=NOW)
    assert len(shown) == 3
    # Savepoint names count up through the test; the statements are what matters.
    return [re.sub(r"sa_savepoint_\d+", "sp", sql) for sql, _ in statements]


async def test_one_offers_runs_the_same_member_only_statements_on_a_larger_database(db, tmp_path):
    await seed(db)
    offers = OfferService(db, tmp_path)
    await offers.offers_for(await newcomer(db, 1), now=NOW)  # builds the shared state
    small = await recorded_offers(db, offers, await newcomer(db, 2))
    await grow(db)
    await offers.offers_for(await newcomer(db, 3), now=NOW)  # the stamp moved: rebuilt
    large = await recorded_offers(db, offers, await newcomer(db, 4))
    assert large == small
    for sql in large:
        touched = tables_of(sql)
        assert not touched & set(SHARED_TABLES), sql
        if sql.startswith("SELECT") and touched & set(MEMBER_TABLES):
            # By the member's id, or the ids of the members of one batch.
            assert re.search(r"member_id (=|IN) ", sql), sql


async def test_a_change_made_by_another_process_reaches_the_next_offers(db, tmp_path):
    await seed(db, extra=False)
    serving, other = OfferService(db, tmp_path), OfferService(db, tmp_path)
    member = await newcomer(db, 5)
    before = {v.category: v for v in await serving.offers_for(member, now=NOW)}
    assert before["desserts"].list_minor == 30000
    loyalty = build_loyalty(db, Ledger(db), b"k" * 32)
    await loyalty.catalog.import_csv(
        "cafe", "code,name,category,price\ncake,Cake,desserts,250\n"
    )  # what `refbot catalog import` runs, in any process
    after = {v.category: v for v in await serving.offers_for(member, now=NOW)}
    assert after["desserts"].list_minor == 25000
    async with db() as session:
        cafe = await session.scalar(select(Company.id).where(Company.code == "cafe"))
    await other.set_threshold(cafe, 2.0)  # above every score: nothing of the cafe's is shown
    assert [v for v in await serving.offers_for(member, now=NOW) if v.company_id == cafe] == []
