"""The income band and region members give at onboarding reach `refbot train`:
tuning may blend in the profile part (members like them), and does where the
profile carries the signal."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd

from recommender.research.synthetic import profiled_purchases
from referral.members import MemberService
from referral.offers.frames import profiles_frame
from referral.offers.training import HYBRID, fit_all, train
from referral.roles import RoleService
from tests.offers_world import START, seed

NO_FEEDBACK = pd.DataFrame(columns=["user_id", "item_id", "value", "timestamp"])
NO_LEADS = pd.DataFrame(columns=["user_id", "item_id", "company_id", "paid", "amount"])


async def test_training_reads_the_profiles_members_gave(db, tmp_path):
    world = await seed(db)
    members = MemberService(db, RoleService(db, frozenset()))
    await members.set_profile(await world.member_id("solo"), "income_band", "high")
    await members.set_profile(await world.member_id("solo"), "region", "central")
    await members.set_profile(await world.member_id("c0"), "region", "central")
    await members.forget(world.members["c1"].telegram_id)  # erased: never read
    async with db() as session:
        profiles = await profiles_frame(session)
    assert profiles.to_dict("records") == [
        {"user_id": world.members["c0"].pseudonym, "income_band": "-", "region": "central"},
        {"user_id": world.members["solo"].pseudonym, "income_band": "high", "region": "central"},
    ]  # in the order members joined; a skipped question is a group of its own
    report = await train(tmp_path, db, tune=False, now=START + timedelta(days=30))
    assert report.trained[HYBRID]["profiles"] == 2
    meta = json.loads((tmp_path / "models" / HYBRID / "meta.json").read_text())
    assert meta["metadata"]["profiles"] == 2


def test_tuning_blends_in_the_profile_part_where_profiles_carry_the_signal():
    purchases, profiles = profiled_purchases(
        n_members=400, n_items=300, rows_per_member=10, profile_share=0.9, seed=1
    )
    purchases["amount"], purchases["company_id"] = 1.0, 1
    catalogue = pd.DataFrame({"item_id": purchases["item_id"].unique(), "active": True}).assign(
        price_minor=100, discount_percent=0
    )
    with_profiles, _, report = fit_all(
        purchases, NO_FEEDBACK, catalogue, NO_LEADS, tune=True, profiles=profiles
    )
    assert with_profiles.profile_weight > 0 and with_profiles.profile_ is not None
    assert report.trained[HYBRID]["profiles"] == 400
    without, _, _ = fit_all(purchases, NO_FEEDBACK, catalogue, NO_LEADS, tune=True)
    assert without.profile_weight == 0 and without.profile_ is None
