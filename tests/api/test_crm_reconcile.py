"""The reconcile as the running bot schedules it: a webhook the CRM never sent
costs a delay, never an outcome. amoCRM sends each webhook once; here none
arrives at all, and the scheduled jobs (behind their leases) still settle."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select, update

from bot.jobs import add_periodic
from bot.jobs.crm import crm_jobs
from referral.crm.models import CrmDeal, CrmEvent
from referral.crm.reconcile import reconcile
from referral.leases import JobLease
from tests.api import crm_world
from tests.api.crm_fixtures import amocrm_lead, bitrix24_deal, bitrix24_deal_update
from tests.api.crm_world import AMO_FIELD, APP_TOKEN, Delivered, outcome, post, settled

# The fixtures, named here so pytest finds them for this module.
api, delivered = crm_world.api, crm_world.delivered


async def followed(world: Delivered) -> dict[str, str]:
    """Each CRM's id of the deal refbot created for the lead, by connection kind."""
    services = world.api.services
    kinds = {c.id: c.kind for c in await services.crm.all()}
    async with services.db() as session:
        rows = await session.execute(select(CrmDeal.connection_id, CrmDeal.external_id))
        return {kinds[connection]: external for connection, external in rows}


async def until(condition, seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("not reached in time")


async def test_a_missed_amocrm_webhook_is_recovered_by_the_scheduled_jobs(delivered: Delivered):
    services = delivered.api.services
    scheduler = AsyncIOScheduler()
    for periodic in crm_jobs(services):
        fast = dataclasses.replace(periodic, interval=timedelta(seconds=0.3))
        add_periodic(scheduler, services, fast)
    scheduler.start()
    try:
        # crm-push creates the delivered lead in amoCRM, followed from then on.
        async def in_amocrm() -> bool:
            return "amocrm" in await followed(delivered)

        await until(in_amocrm)
        amo_id = (await followed(delivered))["amocrm"]
        # The manager wins it in amoCRM; the webhook of that move never arrives.
        delivered.stub.deals[amo_id] = amocrm_lead(amo_id, 142, 1500, None, AMO_FIELD)

        async def won() -> bool:
            return (await outcome(delivered))[0] == "won"

        await until(won)
    finally:
        scheduler.shutdown(wait=False)
    assert await outcome(delivered) == ("won", (1, 150000))
    async with services.db() as session:
        leases = dict((await session.execute(select(JobLease.name, JobLease.generation))).all())
    assert leases["crm-reconcile"] >= 1 and leases["crm-push"] >= 1


async def test_a_bitrix24_deal_closed_without_its_webhook_is_read_back_by_list(
    delivered: Delivered,
):
    delivered.stub.mode = 2  # simple mode: the lead becomes a deal, followed
    await delivered.api.services.crm_pushes.run()
    bitrix_id = (await followed(delivered))["bitrix24"]
    delivered.stub.deals[bitrix_id] = bitrix24_deal(bitrix_id, "F", "0", None)
    report = await reconcile(delivered.api.services.crm_inbound)
    assert report.closed == 1
    assert "crm.deal.list.json" in delivered.stub.calls
    assert await outcome(delivered) == ("lost", (-1, None))
    assert (await reconcile(delivered.api.services.crm_inbound)).closed == 0


async def test_a_converted_bitrix24_lead_closed_without_a_webhook_is_found_by_its_lead(
    delivered: Delivered,
):
    await delivered.api.services.crm_pushes.run()  # a classic portal: a Bitrix24 lead
    [crm_lead] = [i for i, f in delivered.stub.items.items() if f.get("entityTypeId") == 1]
    deal = bitrix24_deal("8801", "S", "2500.00", None)
    delivered.stub.deals["8801"] = {**deal, "LEAD_ID": str(crm_lead)}
    assert (await reconcile(delivered.api.services.crm_inbound)).closed == 1
    assert await outcome(delivered) == ("won", (1, 250000))
    assert (await reconcile(delivered.api.services.crm_inbound)).closed == 0


async def event_statuses(world: Delivered) -> list[str]:
    async with world.api.services.db() as session:
        return list(await session.scalars(select(CrmEvent.status).order_by(CrmEvent.id)))


async def test_a_crm_that_is_down_is_asked_once_a_pass_and_its_events_wait(delivered: Delivered):
    stub, inbound = delivered.stub, delivered.api.services.crm_inbound
    stub.outage = {"bitrix24"}  # every call: 500
    for deal in ("901", "902", "903"):
        stub.deals[deal] = bitrix24_deal(deal, "P", "100.00", delivered.member)
        await post(delivered.api.http, delivered.bitrix_url, bitrix24_deal_update(deal, APP_TOKEN))
    await settled(delivered)  # each read back once on arrival, in vain
    async with delivered.api.services.db.begin() as session:
        await session.execute(
            update(CrmEvent).values(received_at=datetime.now(UTC) - timedelta(minutes=5))
        )
    asked = len(stub.calls)
    assert (await reconcile(inbound)).events == 0
    assert stub.calls[asked:] == ["crm.deal.get.json"]  # once, not once an event
    assert await event_statuses(delivered) == ["received"] * 3
    stub.outage = set()
    assert (await reconcile(inbound)).events == 3
    assert await event_statuses(delivered) == ["applied"] * 3
