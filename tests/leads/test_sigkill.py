"""The pipeline process killed with SIGKILL at each stage, then restarted: every
lead reaches its end state once, no lead is lost or made twice, each delivered
lead has one webhook delivery, and an offer or a partner notice is re-sent only
after a kill between sending it and marking it sent."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from referral.db import create_engine, create_sessionmaker
from referral.leads import states
from referral.leads.models import LeadTransition, WebhookDelivery
from referral.leads.service import LeadService
from referral.leads.webhooks import WebhookOutbox
from referral.offers.models import Lead
from referral.offers.service import OfferService
from tests.leads.world import card, company_id
from tests.offers_world import seed


async def worker(url: str, data_dir: Path, log: Path, *kill: str) -> int:
    env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(data_dir), "QUIET_HOURS": ""}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.leads.pipeline_worker", str(log), *kill, env=env
    )
    return await process.wait()


async def transitions(db) -> Counter[tuple[int, str]]:
    async with db() as session:
        rows = (
            await session.execute(select(LeadTransition.lead_id, LeadTransition.to_status))
        ).all()
    return Counter((lead_id, status) for lead_id, status in rows)


async def statuses(db) -> dict[int, str]:
    async with db() as session:
        return dict((await session.execute(select(Lead.id, Lead.status))).all())


@pytest.mark.postgres
@pytest.mark.timeout(240)
async def test_sigkill_at_every_stage_loses_nothing_and_makes_nothing_twice(pg_database, tmp_path):
    engine = create_engine(pg_database)
    db = create_sessionmaker(engine)
    log = tmp_path / "sent.log"
    try:
        world = await seed(db)
        leads = LeadService(db)
        for n, (name, member) in enumerate(world.members.items()):
            company = "cafe" if name.startswith(("c", "solo")) else "gym"
            service = "coffee" if company == "cafe" else "daypass"
            await leads.receive_card(
                await company_id(db, company), card(f"d{n}", member.pseudonym, service)
            )
        cards = len(world.members)
        for code in ("cafe", "gym", "spa"):
            await WebhookOutbox(db).set_endpoint(await company_id(db, code), "http://127.0.0.1:9/")

        # pending -> ... -> offered, killed inside each stage's moves and after a send
        for point in (states.PROCESSED, states.WAITING, "sent", states.OFFERED):
            assert await worker(pg_database, tmp_path, log, point, "3") == -signal.SIGKILL
        assert await worker(pg_database, tmp_path, log) == 0
        found = await statuses(db)
        assert len(found) == cards  # none lost, none made twice
        assert set(found.values()) <= {states.OFFERED, states.REJECTED}
        offered_leads = [i for i, status in found.items() if status == states.OFFERED]

        # every offered member accepts (which delivers); then killed while telling partners
        offers = OfferService(db, tmp_path)
        async with db() as session:
            offered = (
                await session.execute(
                    select(Lead.offer_id, Lead.member_id).where(Lead.status == states.OFFERED)
                )
            ).all()
        assert offered
        for offer_id, member_id in offered:
            await offers.accept(offer_id, member_id)
        for _ in range(2):
            assert await worker(pg_database, tmp_path, log, "notice", "2") == -signal.SIGKILL
        assert await worker(pg_database, tmp_path, log) == 0

        # the partners report; a lead ends won or lost, once
        for lead_id, status in (await statuses(db)).items():
            if status == states.DELIVERED:
                async with db() as session:
                    company = await session.scalar(
                        select(Lead.company_id).where(Lead.id == lead_id)
                    )
                await leads.report_outcome(company, lead_id, won=lead_id % 2 == 0)

        moved = await transitions(db)
        assert max(moved.values()) == 1  # every move of every lead happened once
        final = await statuses(db)
        assert len(final) == cards and set(final.values()) <= states.FINAL
        assert sum(s in (states.WON, states.LOST) for s in final.values()) == len(offered)
        async with db() as session:
            deliveries = await session.scalar(select(func.count()).select_from(WebhookDelivery))
        assert deliveries == len(offered)  # one webhook event per delivered lead
        lines = log.read_text().splitlines()
        sends = Counter(int(line.split()[1]) for line in lines if line.startswith("offer "))
        assert set(sends) == set(offered_leads)  # every offered lead's member got it
        # Once each; twice for the two kills between a send and its "offered" commit.
        assert sorted(Counter(sends.values()).items()) == [(1, len(sends) - 2), (2, 2)]
        notices = Counter(int(line.split()[1]) for line in lines if line.startswith("notice "))
        assert set(notices) == set(offered_leads)  # every partner told
        # Once each; twice for the two kills between a notice and its mark.
        assert sorted(Counter(notices.values()).items()) == [(1, len(notices) - 2), (2, 2)]
    finally:
        await engine.dispose()
