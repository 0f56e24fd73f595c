"""PartnerStats read from the database (SQLite and PostgreSQL): one company's
rows only, and a lead converts on a purchase of its service after it."""

from __future__ import annotations

from datetime import timedelta

from referral.offers.service import OfferService
from referral.offers.stats import PartnerStats, Share
from tests.integration.test_offer_nudges import buy
from tests.offers_world import START, seed

NOW = START + timedelta(days=30)


async def test_a_lead_converts_on_a_later_purchase_and_counts_for_its_company_only(db, tmp_path):
    world = await seed(db)
    solo = world.members["solo"]
    offer = (await OfferService(db, tmp_path).offers_for(solo.id, now=NOW))[0]
    await OfferService(db, tmp_path).accept(offer.offer_id, solo.id, now=NOW)
    stats = PartnerStats(db, floor=1)
    assert (await stats.of_code("cafe", now=NOW)).converted.value == 0
    code = {"Cake <b>deluxe</b>": "cake", "Tea": "tea"}[offer.service]
    await buy(db, solo.pseudonym, "cafe", code, 300, NOW + timedelta(hours=1))
    cafe = await stats.of_code("cafe", now=NOW + timedelta(days=40))
    assert (cafe.members.value, cafe.leads.value, cafe.converted.value) == (7, 1, 1)
    assert cafe.conversion == Share(value=1.0) and cafe.payers.value == 7
    # Of the seven who bought in June, only solo (the cake above) bought again in July.
    assert cafe.months[0].month == "2026-06" and cafe.months[0].returned.value == 1
    gym = await stats.of_code("gym", now=NOW)
    assert (gym.members.value, gym.leads.value, gym.payers.value) == (5, 0, 5)
