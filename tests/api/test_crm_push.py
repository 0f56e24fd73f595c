"""A delivered lead is created in the partner's CRM once: Bitrix24 crm.item.add
(a lead, or a deal in simple mode), amoCRM /api/v4/leads/complex; a crash after
the CRM took it, its rate limits and its outages create nothing twice and lose
nothing. Its later won or lost maps back to the lead."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.cli.crm import connection_lines
from referral.crm.models import CrmPush
from referral.crm.outbound import ODD_ATTEMPTS, UNAVAILABLE_ATTEMPTS
from referral.models import Member
from referral.offers.models import Lead
from tests.api import crm_world
from tests.api.crm_fixtures import bitrix24_deal, bitrix24_deal_update
from tests.api.crm_world import AMO_FIELD, APP_TOKEN, Delivered, outcome, post, settled

# The fixtures, named here so pytest finds them for this module.
api, delivered = crm_world.api, crm_world.delivered


def bitrix_items(world: Delivered) -> list[dict]:
    return [fields for fields in world.stub.created if "entityTypeId" in fields]


def amo_leads(world: Delivered) -> list[dict]:
    return [fields for fields in world.stub.created if "entityTypeId" not in fields]


def later(hours: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


async def pushes(world: Delivered) -> list[tuple[str, str | None, int]]:
    async with world.api.services.db() as session:
        rows = await session.execute(
            select(CrmPush.status, CrmPush.entity, CrmPush.attempts).order_by(CrmPush.id)
        )
        return [tuple(row) for row in rows]


async def test_a_delivered_lead_is_created_once_in_each_crm(delivered: Delivered):
    report = await delivered.api.services.crm_pushes.run()
    assert (report.queued, report.created, report.waiting) == (2, 2, 0)
    [item] = bitrix_items(delivered)
    assert item["entityTypeId"] == 1  # a classic portal: a lead, by crm.item.add
    assert (item["originatorId"], item["originId"]) == ("refbot", str(delivered.lead_id))
    assert item["UF_CRM_REFBOT"] == delivered.member
    [deal] = amo_leads(delivered)
    assert deal["name"].endswith(f"refbot {delivered.lead_id}")
    assert deal["custom_fields_values"] == [
        {"field_id": AMO_FIELD, "values": [{"value": delivered.member}]}
    ]
    assert "crm.lead.add.json" not in delivered.stub.calls
    # Only what the lead webhook carries: never the member's Telegram id.
    async with delivered.api.services.db() as session:
        telegram_id = await session.scalar(
            select(Member.telegram_id).where(Member.pseudonym == delivered.member)
        )
    assert str(telegram_id) not in json.dumps(delivered.stub.created)
    again = await delivered.api.services.crm_pushes.run(later(3))
    assert (again.queued, again.created) == (0, 0)
    assert len(delivered.stub.created) == 2


async def test_a_portal_in_simple_mode_gets_a_deal_whose_outcome_maps_back(
    delivered: Delivered,
):
    delivered.stub.mode = 2
    await delivered.api.services.crm_pushes.run()
    [item] = bitrix_items(delivered)
    assert item["entityTypeId"] == 2
    [deal_id] = [i for i, fields in delivered.stub.items.items() if fields is item]
    # The manager wins it without typing the member's code: the deal is the lead's.
    delivered.stub.deals[str(deal_id)] = bitrix24_deal(str(deal_id), "S", "900.00", None)
    update = bitrix24_deal_update(str(deal_id), APP_TOKEN)
    await post(delivered.api.http, delivered.bitrix_url, update)
    await settled(delivered)
    assert await outcome(delivered) == ("won", (1, 90000))


async def test_a_converted_bitrix24_lead_maps_its_deal_back(delivered: Delivered):
    await delivered.api.services.crm_pushes.run()
    [lead_item] = [i for i, f in delivered.stub.items.items() if "entityTypeId" in f]
    deal = bitrix24_deal("8800", "F", "0", None)
    delivered.stub.deals["8800"] = {**deal, "LEAD_ID": str(lead_item)}
    await post(delivered.api.http, delivered.bitrix_url, bitrix24_deal_update("8800", APP_TOKEN))
    await settled(delivered)
    assert await outcome(delivered) == ("lost", (-1, None))


async def test_a_creation_the_crm_took_but_never_answered_is_not_made_twice(
    delivered: Delivered,
):
    delivered.stub.lose_answers = 2  # each CRM stores the item, then answers 500
    first = await delivered.api.services.crm_pushes.run()
    assert (first.created, first.waiting) == (0, 2)
    assert await pushes(delivered) == [("pending", None, 1), ("pending", None, 1)]
    second = await delivered.api.services.crm_pushes.run(later(1))
    assert second.created == 2
    assert (len(bitrix_items(delivered)), len(amo_leads(delivered))) == (1, 1)
    assert await pushes(delivered) == [("created", "lead", 1), ("created", "deal", 1)]


async def test_a_lost_amocrm_creation_is_found_among_many_search_matches(
    delivered: Delivered,
):
    # amoCRM's ?query= searches the deals' filled fields: "refbot 12" is also in the
    # names of deals for leads 120, 121, ... Ours, created with its answer lost,
    # sits between 60 older such deals and 300 newer ones.
    marker = f"refbot {delivered.lead_id}"
    others = iter(range(10**6))
    for item_id in range(100, 160):
        delivered.stub.items[item_id] = {"name": f"Card · {marker}{next(others)}"}
    delivered.stub.items[160] = {"name": f"Card · {marker}"}
    for item_id in range(161, 461):
        delivered.stub.items[item_id] = {"name": f"Card · {marker}{next(others)}"}
    report = await delivered.api.services.crm_pushes.run()
    assert report.created == 2
    assert amo_leads(delivered) == []  # found, not made twice
    async with delivered.api.services.db() as session:
        ids = set(await session.scalars(select(CrmPush.external_id)))
    assert "160" in ids


async def another_delivered_lead(world: Delivered) -> None:
    """One more lead delivered to the same partner, for the same member and service."""
    async with world.api.services.db.begin() as session:
        lead = await session.get(Lead, world.lead_id)
        session.add(
            Lead(
                member_id=lead.member_id,
                company_id=lead.company_id,
                service_id=lead.service_id,
                status="delivered",
                created_at=lead.created_at,
                updated_at=lead.updated_at,
            )
        )


async def test_rate_limits_are_waited_out_and_an_outage_loses_nothing(delivered: Delivered):
    delivered.stub.limited = 3  # 503 QUERY_LIMIT_EXCEEDED / 429 first
    report = await delivered.api.services.crm_pushes.run()
    assert report.created == 2
    assert len(delivered.stub.created) == 2
    # A second lead for the same partner while both CRMs are down for hours.
    delivered.stub.down = 10**6
    await another_delivered_lead(delivered)
    for hours in (1, 2, 4):
        assert (await delivered.api.services.crm_pushes.run(later(hours))).created == 0
    statuses = await pushes(delivered)
    assert statuses[2:] == [("pending", None, 3), ("pending", None, 3)]
    delivered.stub.down = 0
    assert (await delivered.api.services.crm_pushes.run(later(12))).created == 2
    assert len(delivered.stub.created) == 4


async def listed(world: Delivered) -> list[str]:
    """What `refbot crm list` prints for the partner's two connections."""
    services = world.api.services
    connections = await services.crm.all()
    unsent = await services.crm_pushes.unsent([c.id for c in connections])
    return connection_lines(connections, unsent)


async def test_a_refused_creation_ends_failed_at_once_with_its_reason_until_retried(
    delivered: Delivered,
):
    delivered.stub.refused = 2  # each CRM: 400, the member field is unknown there
    report = await delivered.api.services.crm_pushes.run()
    assert (report.created, report.waiting, report.failed) == (0, 0, 2)
    assert await pushes(delivered) == [("failed", None, 1), ("failed", None, 1)]
    calls = len(delivered.stub.calls)
    for hours in (2, 4, 8):  # a refusal is not asked again
        assert (await delivered.api.services.crm_pushes.run(later(hours))).failed == 0
    assert len(delivered.stub.calls) == calls
    lines = await listed(delivered)
    bitrix = "failed\tattempts 1\tBitrix24 crm.item.add: 400 INVALID_ARG_VALUE Field UF_CRM_REFBOT"
    amo = "failed\tattempts 1\tamoCRM api/v4/leads/complex: 400 Bad Request Request validation"
    assert any(f"lead {delivered.lead_id}\t{bitrix}" in line for line in lines), lines
    assert any(f"lead {delivered.lead_id}\t{amo}" in line for line in lines), lines
    # The partner fixes the field; the operator queues the pushes again.
    services = delivered.api.services
    assert await services.crm_pushes.requeue([c.id for c in await services.crm.all()]) == 2
    assert (await services.crm_pushes.run()).created == 2
    assert (len(bitrix_items(delivered)), len(amo_leads(delivered))) == (1, 1)
    assert len(await listed(delivered)) == 2  # the connections alone: nothing unsent


async def test_a_revoked_token_fails_on_its_first_401(delivered: Delivered):
    delivered.stub.token = "revoked-and-replaced"
    report = await delivered.api.services.crm_pushes.run()
    assert (report.created, report.failed) == (1, 1)
    lines = await listed(delivered)
    assert any("failed\tattempts 1\tamoCRM api/v4/leads: 401 Unauthorized" in x for x in lines)


async def next_due(world: Delivered) -> datetime | None:
    async with world.api.services.db() as session:
        due = await session.scalar(
            select(func.min(CrmPush.next_attempt_at)).where(CrmPush.status == "pending")
        )
    return due if due is None or due.tzinfo else due.replace(tzinfo=UTC)


def requests_to(world: Delivered, crm: str) -> int:
    bitrix24 = [call.endswith(".json") for call in world.stub.calls]  # Bitrix24's methods
    return sum(bitrix24) if crm == "bitrix24" else len(bitrix24) - sum(bitrix24)


def items_in(world: Delivered, crm: str) -> list[dict]:
    return bitrix_items(world) if crm == "bitrix24" else amo_leads(world)


@pytest.mark.parametrize(
    ("crm", "other", "answer"),
    [
        ("bitrix24", "amocrm", "Bitrix24 crm.settings.mode.get: 500 Internal Server Error"),
        ("amocrm", "bitrix24", "amoCRM api/v4/leads: 500 Internal Server Error"),
    ],
)
async def test_a_crm_down_for_a_day_is_asked_once_a_pause_then_its_leads_fail_until_retried(
    delivered: Delivered, crm: str, other: str, answer: str
):
    await another_delivered_lead(delivered)
    await another_delivered_lead(delivered)  # three leads, in both CRMs
    delivered.stub.outage = {crm}  # every call: 500, for good
    pushes_job = delivered.api.services.crm_pushes
    started = later(0)
    first = await pushes_job.run(started)
    # The other CRM's three are created; the one down is asked once, not once per lead.
    assert (first.created, first.waiting, len(items_in(delivered, other))) == (3, 3, 3)
    assert requests_to(delivered, crm) == 1
    tries, at = [started], await next_due(delivered)
    while at is not None:
        report = await pushes_job.run(at)
        tries.append(at)
        assert requests_to(delivered, crm) == len(tries)  # one request a pass
        assert report.failed == (3 if len(tries) == UNAVAILABLE_ATTEMPTS else 0)
        at = await next_due(delivered)
    assert len(tries) == UNAVAILABLE_ATTEMPTS == 30
    assert timedelta(hours=23) < tries[-1] - tries[0] < timedelta(hours=24)
    assert max(b - a for a, b in zip(tries, tries[1:], strict=False)) < timedelta(
        hours=1, seconds=5
    )
    assert sum(f"failed\tattempts 30\t{answer}" in line for line in await listed(delivered)) == 3
    assert (await pushes_job.run(later(48))).failed == 0
    assert requests_to(delivered, crm) == UNAVAILABLE_ATTEMPTS  # failed rows are left alone
    # The CRM is back; the operator queues its creations again.
    delivered.stub.outage = set()
    services = delivered.api.services
    down = [c.id for c in await services.crm.all() if c.kind == crm]
    assert await pushes_job.requeue(down, later(48)) == 3
    assert (await pushes_job.run(later(48))).created == 3
    assert len(items_in(delivered, crm)) == len(items_in(delivered, other)) == 3


async def test_an_unreadable_success_is_tried_a_bounded_number_of_times(delivered: Delivered):
    delivered.stub.odd = 10**6  # 200 without the new item's id, from both CRMs
    for step in range(1, ODD_ATTEMPTS + 1):
        report = await delivered.api.services.crm_pushes.run(later(2 * step))
        assert report.failed == (2 if step == ODD_ATTEMPTS else 0)
    assert await pushes(delivered) == [("failed", None, ODD_ATTEMPTS)] * 2
    assert (await delivered.api.services.crm_pushes.run(later(48))).waiting == 0
