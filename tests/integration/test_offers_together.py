"""Offers asked for together (a burst of /offers) share one read and one write,
and each member still gets exactly what they would get asking alone."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from referral.members import MemberService
from referral.offers.models import ShownOffer
from referral.offers.service import OfferService
from referral.roles import RoleService
from tests.offers_world import START, seed
from tests.statements import record_statements

NOW = START + timedelta(days=30)


async def shown_rows(db) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(ShownOffer))


def offered(views) -> list[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    return [(v.service, v.reason, v.extra_cashback_bp + v.spend_drop_bp) for v in views]


async def test_members_asking_together_get_what_each_gets_alone(db, tmp_path):
    world = await seed(db)
    ids = [await world.member_id(name) for name in ("solo", "lifter", "c0", "g1")]
    alone = OfferService(db, tmp_path)
    expected = [offered(await alone.offers_for(i, now=NOW)) for i in ids]
    together = OfferService(db, tmp_path)
    views = await asyncio.gather(*(together.offers_for(i, now=NOW) for i in ids))
    assert [offered(v) for v in views] == expected
    # Open offers are shown again, not duplicated, batch or not.
    again = await asyncio.gather(*(alone.offers_for(i, now=NOW) for i in ids))
    assert [[v.offer_id for v in vs] for vs in views] == [[v.offer_id for v in vs] for vs in again]
    assert await shown_rows(db) == sum(len(e) for e in expected)


async def test_new_offers_of_a_burst_are_recorded_by_one_insert(db, tmp_path):
    world = await seed(db)
    offers = OfferService(db, tmp_path)
    warm = await offers.offers_for(await world.member_id("c5"), now=NOW)  # the shared state
    ids = [await world.member_id(name) for name in ("solo", "lifter", "c0", "g1")]
    statements = record_statements(db)
    views = await asyncio.gather(*(offers.offers_for(i, now=NOW) for i in ids))
    sql = [s for s, _ in statements]
    # Asked in the same turn of the loop, the four go as one batch.
    assert len([s for s in sql if s.startswith("INSERT INTO shown_offers")]) == 1
    assert len([s for s in sql if "FROM purchases" in s]) == 1
    async with db() as session:
        rows = {r.id: r for r in await session.scalars(select(ShownOffer))}
    offer_ids = [v.offer_id for vs in views for v in vs]
    assert len(set(offer_ids)) == len(offer_ids) == len(rows) - len(warm)
    for member_id, vs in zip(ids, views, strict=True):
        assert vs
        for v in vs:
            row = rows[v.offer_id]
            assert (row.member_id, row.company_id, row.reason) == (
                member_id,
                v.company_id,
                v.reason,
            )


async def test_one_member_twice_in_a_burst_gets_the_same_offers_once(db, tmp_path):
    world = await seed(db)
    offers = OfferService(db, tmp_path)
    await offers.offers_for(await world.member_id("c5"), now=NOW)
    before = await shown_rows(db)
    solo = await world.member_id("solo")
    first, second, third = await asyncio.gather(
        offers.offers_for(solo, now=NOW),
        offers.offers_for(solo, now=NOW),
        offers.offers_for(solo, now=NOW),
    )
    assert (
        [v.offer_id for v in second] == [v.offer_id for v in third] == [v.offer_id for v in first]
    )
    assert await shown_rows(db) == before + len(first)


async def test_each_request_of_a_burst_keeps_its_own_cool_down(db, tmp_path):
    world = await seed(db)
    offers = OfferService(db, tmp_path)
    solo, lifter = await world.member_id("solo"), await world.member_id("lifter")
    declined = (await offers.offers_for(solo, now=NOW))[0]
    await offers.decline(declined.offer_id, solo, now=NOW)
    later = NOW + timedelta(days=31)  # the cool-down is over for this request only
    soon, _, after = await asyncio.gather(
        offers.offers_for(solo, now=NOW + timedelta(days=1)),
        offers.offers_for(lifter, now=NOW),
        offers.offers_for(solo, now=later),
    )
    assert declined.service not in [v.service for v in soon]
    assert declined.service in [v.service for v in after]


async def test_an_erased_member_in_a_burst_gets_nothing_and_the_others_their_offers(db, tmp_path):
    world = await seed(db)
    offers = OfferService(db, tmp_path)
    await offers.offers_for(await world.member_id("c5"), now=NOW)
    await MemberService(db, RoleService(db, frozenset())).forget(world.members["c0"].telegram_id)
    erased, solo = await asyncio.gather(
        offers.offers_for(await world.member_id("c0"), now=NOW),
        offers.offers_for(await world.member_id("solo"), now=NOW),
    )
    assert erased == [] and solo != []
