"""The offer domain over SQLite and PostgreSQL: training, serving, answers, location."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from referral.ledger.errors import InvalidFile
from referral.models import Company
from referral.offers.crossmatrix import CrossMatrixService
from referral.offers.models import CROSS, POPULAR, SIMILAR, Lead, MemberSegment, OfferFeedback
from referral.offers.service import OfferGone, OfferService
from referral.offers.training import train
from tests.offers_world import START, add_member, seed

NOW = START + timedelta(days=30)


async def count(db, model) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def company_id(db, code: str) -> int:
    async with db() as session:
        return await session.scalar(select(Company.id).where(Company.code == code))


async def trained(db, tmp_path, tune: bool = False):
    world = await seed(db)
    await train(tmp_path, db, tune=tune)
    return world, OfferService(db, tmp_path)


async def test_training_saves_versioned_artefacts_and_member_segments(db, tmp_path):
    world = await seed(db)
    first = await train(tmp_path, db)
    second = await train(tmp_path, db, tune=False)
    assert (first.version, second.version) == (1, 2)
    meta = json.loads((tmp_path / "models" / "hybrid" / "meta.json").read_text())
    assert meta["metadata"]["version"] == 2 and meta["metadata"]["purchases"] == 78
    assert {"hybrid", "segments", "bundles", "reminders"} <= set(first.trained)
    assert await count(db, MemberSegment) == len(world.members)


async def test_a_member_like_others_is_offered_what_they_also_use(db, tmp_path):
    world, offers = await trained(db, tmp_path)
    shown = await offers.offers_for(world.members["solo"].id, now=NOW)
    assert (shown[0].service, shown[0].reason) == ("Cake <b>deluxe</b>", SIMILAR)
    assert (shown[0].list_minor, shown[0].price_minor, shown[0].discount_percent) == (
        30000,
        27000,
        10,
    )
    assert "Coffee" not in [v.service for v in shown]  # already bought


async def test_corrupt_artefact_falls_back_to_popularity_with_a_log_line(db, tmp_path, caplog):
    world, offers = await trained(db, tmp_path)
    (tmp_path / "models" / "hybrid" / "model.pkl").write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING):
        shown = await offers.offers_for(world.members["solo"].id, now=NOW)
    assert shown and {v.reason for v in shown} == {POPULAR}
    assert "serving popularity" in caplog.text


async def test_no_artefact_at_all_still_offers_popular_services(db, tmp_path):
    world = await seed(db)
    shown = await OfferService(db, tmp_path).offers_for(world.members["lifter"].id, now=NOW)
    assert [v.reason for v in shown] and {v.reason for v in shown} == {POPULAR}


async def test_accept_twice_creates_one_lead_and_one_feedback(db, tmp_path):
    world, offers = await trained(db, tmp_path)
    solo = world.members["solo"].id
    offer = (await offers.offers_for(solo, now=NOW))[0]
    lead = await offers.accept(offer.offer_id, solo, now=NOW)
    with pytest.raises(OfferGone):
        await offers.accept(offer.offer_id, solo, now=NOW)
    with pytest.raises(OfferGone):
        await offers.decline(offer.offer_id, solo, now=NOW)
    assert (lead.status, lead.company_id) == ("delivered", await company_id(db, "cafe"))
    assert await count(db, Lead) == 1 and await count(db, OfferFeedback) == 1
    assert offer.service not in [v.service for v in await offers.offers_for(solo, now=NOW)]


async def test_another_members_offer_id_is_refused(db, tmp_path):
    world, offers = await trained(db, tmp_path)
    offer = (await offers.offers_for(world.members["solo"].id, now=NOW))[0]
    with pytest.raises(OfferGone):
        await offers.accept(offer.offer_id, world.members["lifter"].id, now=NOW)
    with pytest.raises(OfferGone):
        await offers.accept(10**9, world.members["solo"].id, now=NOW)
    assert await count(db, Lead) == 0 and await count(db, OfferFeedback) == 0


async def test_declined_service_waits_out_the_cool_down(db, tmp_path):
    world, offers = await trained(db, tmp_path)
    solo = world.members["solo"].id
    cake = (await offers.offers_for(solo, now=NOW))[0]
    await offers.decline(cake.offer_id, solo, now=NOW)
    assert cake.service not in [
        v.service for v in await offers.offers_for(solo, now=NOW + timedelta(days=29))
    ]
    assert cake.service in [
        v.service for v in await offers.offers_for(solo, now=NOW + timedelta(days=31))
    ]


async def test_location_ranks_the_nearest_outlet_first(db, tmp_path):
    world, offers = await trained(db, tmp_path)
    lifter = world.members["lifter"].id
    near_moscow = await offers.rerank_by_location(lifter, 55.75, 37.62, now=NOW)
    near_spb = await offers.rerank_by_location(lifter, 59.93, 30.33, now=NOW)
    assert near_moscow[0].company == "Cafe" and near_moscow[0].distance_km < 1
    assert near_spb[0].company == "Gym" and near_spb[0].distance_km < 1
    assert sorted(v.offer_id for v in near_moscow) == sorted(v.offer_id for v in near_spb)


async def test_company_relevance_floor_keeps_its_offers_out(db, tmp_path):
    world, offers = await trained(db, tmp_path)
    await offers.set_threshold(await company_id(db, "gym"), 5.0)
    shown = await offers.offers_for(world.members["lifter"].id, now=NOW)
    assert shown and "Gym" not in {v.company for v in shown}


async def test_cross_service_matrix_gives_a_new_member_linked_offers(db, tmp_path):
    world, offers = await trained(db, tmp_path)
    report = await CrossMatrixService(db).import_csv(
        "company_a,service_a,company_b,service_b,weight\ncafe,coffee,spa,massage,2\n"
    )
    assert report.links == 1
    newbie = await add_member(db, "newbie", "cafe", 99_999)
    await seed_purchase(db, newbie.pseudonym)
    shown = await offers.offers_for(newbie.id, now=NOW)
    assert (shown[0].service, shown[0].reason, shown[0].related) == ("Massage", CROSS, "Coffee")


async def test_bad_cross_matrix_reports_lines_and_stores_nothing(db):
    await seed(db, extra=False)
    bad = (
        "company_a,service_a,company_b,service_b,weight\n"
        "cafe,coffee,spa,massage,-1\n"
        "cafe,nope,spa,massage,1\n"
        "cafe,coffee,cafe,coffee,1\n"
    )
    with pytest.raises(InvalidFile) as refused:
        await CrossMatrixService(db).import_csv(bad)
    assert [line for line, _ in refused.value.problems] == [2, 3, 4]
    assert "weight" in refused.value.problems[0][1] and "nope" in refused.value.problems[1][1]


async def seed_purchase(db, pseudonym: str) -> None:
    from referral.ledger.ledger import Ledger
    from referral.ledger.services import build_loyalty

    loyalty = build_loyalty(db, Ledger(db), b"k" * 32)
    when = (START + timedelta(days=20)).isoformat()
    await loyalty.purchases.import_csv(
        "cafe", f"client,service,amount,time\n{pseudonym},coffee,200,{when}\n"
    )


async def test_regular_buyers_get_at_most_one_reminder_a_week(db, tmp_path):
    from referral.offers.nudges import NudgeService
    from referral.offers.store import ModelStore

    await seed(db)
    nudges = NudgeService(db, ModelStore(tmp_path))
    due = START + timedelta(days=28, hours=12)  # the cafe members' fifth weekly visit
    first = await nudges.claim_reminders(now=due)
    assert first and all(n.company == "Cafe" for n in first)
    assert await nudges.claim_reminders(now=due + timedelta(days=3)) == []
