"""Calibration from day one (a time hold-out of the purchase history, fitted at
training) and the relevance floor read once, on the calibrated probability,
the same way in /offers and in the pipeline."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd
from sqlalchemy import delete, select

from referral.companies import CompanyService
from referral.leads.calibration import (
    CALIBRATION_FILE,
    HISTORY,
    Calibration,
    Calibrations,
    fit_from_history,
    fit_platt,
    save_calibration,
)
from referral.ledger.catalogue_models import Service
from referral.ledger.ledger import Ledger
from referral.ledger.services import build_loyalty
from referral.offers.models import ACCEPTED, DECLINED, Lead, ShownOffer
from referral.offers.service import OfferService
from referral.offers.training import train
from tests.leads.test_pipeline import carded, moves
from tests.leads.world import NOON, RecordingSender, company_id
from tests.offers_world import START, add_member

DAY = 86_400


def clustered_history(members: int = 240, days: int = 120, seed: int = 3) -> pd.DataFrame:
    """Members of four tastes, each buying now and then from their own five services."""
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(members):
        taste = m % 4
        for _ in range(int(rng.integers(6, 14))):
            item = f"s{taste * 5 + int(rng.integers(0, 5))}"
            rows.append((f"m{m}", item, float(rng.uniform(0, days * DAY))))
        if rng.random() < 0.3:  # and a little of everything
            rows.append(
                (f"m{m}", f"s{int(rng.integers(0, 20))}", float(rng.uniform(0, days * DAY)))
            )
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


def test_the_history_fit_turns_scores_into_purchase_probabilities():
    calibration, basis = fit_from_history(clustered_history(), {})
    assert calibration.fitted and calibration.source == HISTORY, basis
    assert calibration.slope > 0  # a higher score means a likelier purchase
    low, high = calibration.probability(0.0), calibration.probability(1.0)
    assert 0.0 < low < high < 1.0
    assert calibration.examples > calibration.positives >= 10
    assert "bought in the last 24 days" in basis


def test_a_history_too_short_for_a_hold_out_is_not_fitted():
    history = clustered_history(days=10)
    calibration, basis = fit_from_history(history, {})
    assert not calibration.fitted and "too short" in basis


def test_scores_that_do_not_rank_the_hold_out_give_no_fit():
    scores = np.linspace(0, 1, 60)
    assert not fit_platt(scores, scores < 0.5).fitted  # the higher, the rarer: refused
    assert fit_platt(scores, scores > 0.5).fitted


def pinned(tmp_path, probability: float) -> None:
    """A history fit that maps every score to ``probability``."""
    logit = math.log(probability / (1 - probability))
    save_calibration(tmp_path / "models", Calibration(0.0, logit, True, HISTORY, 100, 50), {})


async def scores_of(db, offer_ids: list[int]) -> list[float]:
    async with db() as session:
        found = await session.scalars(select(ShownOffer.score).where(ShownOffer.id.in_(offer_ids)))
        return [float(score) for score in found]


async def test_the_floor_is_read_once_on_the_calibrated_probability(db, tmp_path):
    world, pipeline, leads, _, lead_id = await carded(db, tmp_path)
    offers = OfferService(db, tmp_path)
    for code in ("cafe", "gym", "spa"):
        await offers.set_threshold(await company_id(db, code), 0.85)
    pinned(tmp_path, 0.9)  # every score reads as 0.9: over the floor
    solo = world.members["solo"]
    shown = await offers.offers_for(solo.id, now=NOON)
    assert shown, "a probability over the floor shows the offer"
    assert min(await scores_of(db, [v.offer_id for v in shown])) < 0.85  # raw, it would not
    await pipeline.run(RecordingSender(), NOON)
    lead = await lead_of_id(db, lead_id)
    assert await moves(db, lead_id) == ["pending", "processed", "waiting", "offered"]
    assert lead.probability == 0.9

    pinned(tmp_path, 0.5)  # now every score reads as 0.5: under the floor, in both places
    assert await OfferService(db, tmp_path).offers_for(solo.id, now=NOON) == []
    cafe = await company_id(db, "cafe")
    other = await leads.receive_card(cafe, card_of(world, "c0"), now=NOON)
    await pipeline.run(RecordingSender(), NOON)
    assert await moves(db, other.lead_id) == ["pending", "rejected"]


async def lead_of_id(db, lead_id: int) -> Lead:
    async with db() as session:
        return await session.get(Lead, lead_id)


def card_of(world, member: str):  # type: ignore[no-untyped-def]
    from tests.leads.world import card

    return card(f"deal-{member}", world.members[member].pseudonym)


async def test_answers_replace_the_history_fit_once_there_are_enough(db, tmp_path):
    world, _, _, _, _ = await carded(db, tmp_path)
    pinned(tmp_path, 0.9)
    calibrations = Calibrations(db, tmp_path)
    assert (await calibrations.refresh()).source == HISTORY
    solo = world.members["solo"]
    async with db() as session:
        service = await session.scalar(select(Service).limit(1))
    async with db.begin() as session:
        for n in range(24):  # 10 of each kind are enough; accepted ones scored higher
            accepted = n % 2 == 0
            session.add(
                ShownOffer(
                    member_id=solo.id,
                    company_id=service.company_id,
                    service_id=service.id,
                    score=0.6 + n / 100 if accepted else 0.4 - n / 100,
                    reason="similar",
                    status=ACCEPTED if accepted else DECLINED,
                    created_at=NOON,
                )
            )
    assert (await calibrations.refresh()).source == HISTORY  # read again only every 5 minutes
    current = await calibrations.refresh(force=True)
    assert (current.source, current.examples, current.positives) == ("answers", 24, 12)
    assert current.probability(0.8) > 0.5 > current.probability(0.2)
    async with db.begin() as session:  # too few answers again: the history fit is back
        await session.execute(delete(ShownOffer).where(ShownOffer.status == DECLINED))
    assert (await calibrations.refresh(force=True)).source == HISTORY
    (tmp_path / "models" / CALIBRATION_FILE).unlink()
    assert not (await calibrations.refresh()).fitted


async def test_training_fits_the_calibration_the_floor_then_reads(db, tmp_path):
    """A fresh deployment: purchases, no offer answered yet; one training later
    the floor reads on a probability fitted on the history's last weeks."""
    loyalty = build_loyalty(db, Ledger(db), b"k" * 32)
    await CompanyService(db).add("Tastes", "tastes")
    services = [f"s{n}" for n in range(24)]
    await loyalty.catalog.import_csv(
        "tastes",
        "code,name,category,price\n"
        + "".join(f"{code},Service {code},c{n % 6},100\n" for n, code in enumerate(services)),
    )
    rng = np.random.default_rng(5)
    lines = []
    for n in range(120):
        member = await add_member(db, f"t{n}", "tastes", 50_000 + n)
        taste = services[(n % 4) * 6 : (n % 4) * 6 + 6]
        bought = [taste[int(rng.integers(0, 6))] for _ in range(int(rng.integers(5, 10)))]
        bought += [services[int(rng.integers(0, 24))] for _ in range(int(rng.integers(1, 3)))]
        for k, code in enumerate(bought):  # their taste, and a little of everything
            at = START + timedelta(days=float(rng.uniform(0, 120)))
            lines.append(f"{member.pseudonym},{code},100,{at.isoformat()},r{n}-{k}")
    await loyalty.purchases.import_csv(
        "tastes", "client,service,amount,time,receipt\n" + "\n".join(lines)
    )
    calibrations = Calibrations(db, tmp_path)
    assert not (await calibrations.refresh()).fitted  # nothing trained, nothing answered
    report = await train(tmp_path, db, tune=False)
    assert "calibration" in report.trained, report.skipped
    current = await calibrations.refresh()
    assert current.fitted and current.source == HISTORY
    assert 0.0 < current.probability(0.0) < current.probability(1.0) < 1.0
