"""The pipeline pass over SQLite and PostgreSQL: every stage, each move a row,
quiet hours and the weekly cap, accept and delivery, outcomes as feedback."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from referral.leads import states
from referral.leads.models import LeadOutcome, LeadTransition, WebhookDelivery
from referral.leads.service import LeadNotFound, OutcomeConflict
from referral.offers.frames import feedback_frame
from referral.offers.models import Lead
from referral.offers.service import OfferService
from tests.leads.world import NOON, RecordingSender, card, company_id, pipeline_for
from tests.offers_world import seed


async def moves(db, lead_id: int) -> list[str]:
    async with db() as session:
        return list(
            (
                await session.scalars(
                    select(LeadTransition.to_status)
                    .where(LeadTransition.lead_id == lead_id)
                    .order_by(LeadTransition.id)
                )
            ).all()
        )


async def lead_of(db, lead_id: int) -> Lead:
    async with db() as session:
        return await session.get(Lead, lead_id)


async def carded(db, tmp_path, name="solo", deal="deal-1", **options):
    world = await seed(db)
    pipeline, leads, webhooks = pipeline_for(db, tmp_path, **options)
    cafe = await company_id(db, "cafe")
    receipt = await leads.receive_card(cafe, card(deal, world.members[name].pseudonym), now=NOON)
    return world, pipeline, leads, webhooks, receipt.lead_id


async def test_a_card_goes_from_pending_to_offered_in_one_pass_with_a_row_per_move(db, tmp_path):
    world, pipeline, _, _, lead_id = await carded(db, tmp_path)
    sender = RecordingSender()
    report = await pipeline.run(sender, NOON)
    assert report.moved == {"expired": 0, "processed": 1, "waiting": 1, "offered": 1}
    assert await moves(db, lead_id) == ["pending", "processed", "waiting", "offered"]
    lead = await lead_of(db, lead_id)
    [offer] = sender.offers
    assert offer.telegram_id == world.members["solo"].telegram_id
    assert lead.company_id != await company_id(db, "cafe")  # another partner's service
    assert lead.offer_id == offer.offer_id and 0.0 <= lead.probability <= 1.0
    assert sender.notices == []  # the partner knows nothing yet
    again = await pipeline.run(RecordingSender(), NOON)
    assert again.moved == {"expired": 0} and await moves(db, lead_id) == [
        "pending",
        "processed",
        "waiting",
        "offered",
    ]


async def test_a_floor_nobody_reaches_rejects_the_lead(db, tmp_path):
    world, pipeline, _, _, lead_id = await carded(db, tmp_path)
    offers = OfferService(db, tmp_path)
    for code in ("gym", "spa"):
        await offers.set_threshold(await company_id(db, code), 1.01)
    await pipeline.run(RecordingSender(), NOON)
    assert await moves(db, lead_id) == ["pending", "rejected"]


async def test_quiet_hours_keep_a_lead_waiting(db, tmp_path):
    _, pipeline, _, _, lead_id = await carded(db, tmp_path, quiet_window=(time(0, 0), time(23, 59)))
    sender = RecordingSender()
    await pipeline.run(sender, NOON)
    assert sender.offers == [] and (await lead_of(db, lead_id)).status == states.WAITING


async def test_the_weekly_cap_keeps_the_third_offer_of_a_week_waiting(db, tmp_path):
    world = await seed(db)
    pipeline, leads, _ = pipeline_for(db, tmp_path, weekly_cap=1)
    code = world.members["c0"].pseudonym
    cafe = await company_id(db, "cafe")
    ids = [
        (await leads.receive_card(cafe, card(f"deal-{n}", code), now=NOON)).lead_id for n in (1, 2)
    ]
    sender = RecordingSender()
    await pipeline.run(sender, NOON)
    statuses = sorted([(await lead_of(db, i)).status for i in ids])
    assert len(sender.offers) == 1
    assert statuses in (["offered", "rejected"], ["offered", "waiting"])


async def test_accept_delivers_to_the_partner_and_queues_its_webhook(db, tmp_path):
    world, pipeline, leads, webhooks, lead_id = await carded(db, tmp_path)
    await pipeline.run(RecordingSender(), NOON)
    lead = await lead_of(db, lead_id)
    await webhooks.set_endpoint(lead.company_id, "http://127.0.0.1:9/hook")
    with pytest.raises(LeadNotFound):  # not delivered yet: the partner cannot see it
        await leads.get(lead.company_id, lead_id)
    await OfferService(db, tmp_path).accept(lead.offer_id, world.members["solo"].id, now=NOON)
    sender = RecordingSender()
    await pipeline.run(sender, NOON)
    assert (await moves(db, lead_id))[-2:] == ["accepted", "delivered"]
    [notice] = sender.notices
    assert notice.lead_id == lead_id and notice.pseudonym == world.members["solo"].pseudonym
    seen = await leads.get(lead.company_id, lead_id)
    assert (seen.status, seen.member_code) == ("delivered", world.members["solo"].pseudonym)
    with pytest.raises(LeadNotFound):
        await leads.get(await company_id(db, "cafe"), lead_id)
    async with db() as session:
        [delivery] = (await session.scalars(select(WebhookDelivery))).all()
    assert delivery.event_key == f"lead.delivered:{lead_id}"
    await pipeline.run(sender, NOON)
    assert len(sender.notices) == 1  # told once


async def test_an_offer_accepted_from_offers_enters_at_accepted_and_is_delivered(db, tmp_path):
    world = await seed(db)
    pipeline, leads, _ = pipeline_for(db, tmp_path)
    offers = OfferService(db, tmp_path)
    solo = world.members["solo"].id
    offer = (await offers.offers_for(solo, now=NOON))[0]
    lead = await offers.accept(offer.offer_id, solo, now=NOON)
    assert await moves(db, lead.id) == ["accepted", "delivered"]  # the press delivers
    assert (await leads.get(offer.company_id, lead.id)).status == "delivered"
    sender = RecordingSender()
    await pipeline.run(sender, NOON)
    assert [notice.lead_id for notice in sender.notices] == [lead.id]


async def test_the_outcome_is_feedback_the_next_training_reads(db, tmp_path):
    world, pipeline, leads, _, lead_id = await carded(db, tmp_path)
    await pipeline.run(RecordingSender(), NOON)
    lead = await lead_of(db, lead_id)
    await OfferService(db, tmp_path).accept(lead.offer_id, world.members["solo"].id, now=NOON)
    await pipeline.run(RecordingSender(), NOON)
    lost = await leads.report_outcome(lead.company_id, lead_id, won=False, now=NOON)
    again = await leads.report_outcome(lead.company_id, lead_id, won=False, now=NOON)
    assert lost.status == again.status == "lost"
    with pytest.raises(OutcomeConflict):
        await leads.report_outcome(lead.company_id, lead_id, won=True, amount_minor=100)
    with pytest.raises(LeadNotFound):
        await leads.report_outcome(await company_id(db, "cafe"), lead_id, won=True)
    async with db() as session:
        frame = await feedback_frame(session)
        outcomes = (await session.scalars(select(LeadOutcome.value))).all()
    assert outcomes == [-1]
    mine = frame[frame["user_id"] == world.members["solo"].pseudonym]
    assert list(mine[mine["item_id"] == str(lead.service_id)]["value"]) == [1, -1]


async def test_leads_nobody_answers_expire(db, tmp_path):
    _, pipeline, _, _, lead_id = await carded(db, tmp_path, expire_after=timedelta(days=7))
    await pipeline.run(RecordingSender(), NOON)
    await pipeline.run(RecordingSender(), NOON + timedelta(days=8))
    assert (await moves(db, lead_id))[-1] == "expired"


async def test_a_member_who_blocked_the_bot_ends_rejected(db, tmp_path):
    _, pipeline, _, _, lead_id = await carded(db, tmp_path)
    await pipeline.run(RecordingSender(answer="unreachable"), NOON)
    assert (await moves(db, lead_id))[-1] == "rejected"


async def test_a_pass_takes_every_batch_not_only_the_first(db, tmp_path):
    world = await seed(db)
    pipeline, leads, _ = pipeline_for(db, tmp_path, batch=2)
    cafe = await company_id(db, "cafe")
    names = ["c0", "c1", "c2", "c3", "solo"]
    for name in names:
        await leads.receive_card(cafe, card(f"deal-{name}", world.members[name].pseudonym), NOON)
    sender = RecordingSender()
    report = await pipeline.run(sender, NOON)
    assert report.moved["offered"] == len(names) == len(sender.offers)


async def test_a_waiting_leads_offer_answered_in_offers_moves_that_lead(db, tmp_path):
    world, pipeline, leads, _, lead_id = await carded(
        db,
        tmp_path,
        quiet_window=(time(0, 0), time(23, 59)),  # so it stays waiting
    )
    await pipeline.run(RecordingSender(), NOON)
    lead = await lead_of(db, lead_id)
    assert lead.status == states.WAITING
    accepted = await OfferService(db, tmp_path).accept(
        lead.offer_id, world.members["solo"].id, now=NOON
    )
    assert accepted.id == lead_id  # the same lead, not a second one
    assert await moves(db, lead_id) == ["pending", "processed", "waiting", "accepted", "delivered"]


async def test_a_declined_offer_rejects_its_lead(db, tmp_path):
    world, pipeline, _, _, lead_id = await carded(db, tmp_path)
    await pipeline.run(RecordingSender(), NOON)
    lead = await lead_of(db, lead_id)
    await OfferService(db, tmp_path).decline(lead.offer_id, world.members["solo"].id, now=NOON)
    assert (await moves(db, lead_id))[-1] == "rejected"
