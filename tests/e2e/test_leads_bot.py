"""The lead pipeline through the real dispatcher and the local Bot API server:
a client card becomes an offer in the member's chat, Accept delivers it to the
partner's admin, whose Won button closes it; nobody sees a Telegram id."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.jobs.leads import run_lead_pass
from localapi import FakeUser
from referral.leads.cards import CardIn
from referral.leads.models import LeadThread, LeadTransition, ThreadMessage, WebhookDelivery
from referral.models import Company
from referral.offers.models import Lead
from tests.e2e.harness import button
from tests.offers_world import seed

# 13:00 in Moscow, whatever the hour the suite runs at: outside quiet hours.
TODAY_NOON = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)


async def company_ids(refbot) -> dict[str, int]:
    async with refbot.services.db() as session:
        return dict((await session.execute(select(Company.code, Company.id))).all())


async def test_card_to_offer_to_partner_and_back(refbot):
    world = await seed(refbot.services.db)
    ids = await company_ids(refbot)
    solo = world.members["solo"]
    receipt = await refbot.services.leads.receive_card(
        ids["cafe"],
        CardIn("deal-9", ("coffee",), 40_000, True, member_code=solo.pseudonym),
        now=TODAY_NOON,
    )
    await refbot.services.lead_pipeline.run(_sender(refbot), TODAY_NOON)
    [offer] = await refbot.wait_sent(solo.telegram_id, 1)
    assert "Interested?" in offer.params["text"] and "Cafe" not in offer.params["text"]

    member = FakeUser(solo.telegram_id, "Solo", language_code="en")
    await refbot.press(member, offer, button(offer, "Interested"))
    partner = FakeUser(2**35 + 1, "Partner admin", language_code="en")
    async with refbot.services.db() as session:
        lead = await session.get(Lead, receipt.lead_id)
    partner_code = next(code for code, cid in ids.items() if cid == lead.company_id)
    await refbot.services.roles.grant("partner", partner.id, partner_code)

    await run_lead_pass(refbot.services, refbot.bot)
    [notice] = await refbot.wait_sent(partner, 1)
    text = notice.params["text"]
    assert f"#{lead.id}" in text and solo.pseudonym in text and str(solo.telegram_id) not in text
    won = await refbot.press(partner, notice, button(notice, "Сделка"))  # not a member: Russian
    assert won[-1].params["text"].endswith(", won")  # the press speaks the presser's language
    async with refbot.services.db() as session:
        path = (
            await session.scalars(
                select(LeadTransition.to_status)
                .where(LeadTransition.lead_id == lead.id)
                .order_by(LeadTransition.id)
            )
        ).all()
    assert path == ["pending", "processed", "waiting", "offered", "accepted", "delivered", "won"]


def _sender(refbot):  # type: ignore[no-untyped-def]
    from bot.jobs.leads import BotLeadSender

    return BotLeadSender(refbot.bot, refbot.services.members)


async def delivered(refbot):  # type: ignore[no-untyped-def]
    """A lead delivered to a partner admin (chats in English): (lead, member, partner, notice)."""
    world = await seed(refbot.services.db)
    ids = await company_ids(refbot)
    solo = world.members["solo"]
    receipt = await refbot.services.leads.receive_card(
        ids["cafe"],
        CardIn("deal-5", ("coffee",), 40_000, True, member_code=solo.pseudonym),
        now=TODAY_NOON,
    )
    await refbot.services.lead_pipeline.run(_sender(refbot), TODAY_NOON)
    [offer] = await refbot.wait_sent(solo.telegram_id, 1)
    member = FakeUser(solo.telegram_id, "Solo", language_code="en")
    await refbot.press(member, offer, button(offer, "Interested"))
    async with refbot.services.db() as session:
        lead = await session.get(Lead, receipt.lead_id)
    partner = FakeUser(2**35 + 2, "Partner admin", language_code="en")
    code = next(code for code, cid in ids.items() if cid == lead.company_id)
    await refbot.services.roles.grant("partner", partner.id, code)
    await run_lead_pass(refbot.services, refbot.bot)
    [notice] = await refbot.wait_sent(partner, 1)
    return lead, member, partner, notice


async def test_partner_and_member_talk_through_the_bot_without_ids(refbot):
    lead, member, partner, notice = await delivered(refbot)
    [prompt] = await refbot.press(partner, notice, button(notice, "Написать"))
    assert f"#{lead.id}" in prompt.params["text"]
    await refbot.say(partner, "Hello <there>!")
    relayed = (await refbot.wait_sent(member, 3))[-1]  # offer, its edit, the message
    text = relayed.params["text"]
    assert "Hello &lt;there&gt;!" in text and str(partner.id) not in text
    await refbot.services.webhooks.set_endpoint(lead.company_id, "http://127.0.0.1:9/hook")
    asked = await refbot.press(member, relayed, button(relayed, "Reply"))
    assert "without showing your Telegram" in asked[-1].params["text"]
    await refbot.say(member, "Call me at five")
    reply = (await refbot.wait_sent(partner, 4))[-1]
    assert "Call me at five" in reply.params["text"] and str(member.id) not in reply.params["text"]
    async with refbot.services.db() as session:
        events = (await session.scalars(select(WebhookDelivery.payload))).all()
    [event] = events  # the reply, as an event for the partner's webhook
    assert '"type":"lead.message"' in event and "Call me at five" in event
    assert str(member.id) not in event

    stopped = await refbot.press(member, relayed, button(relayed, "Stop"))
    assert "can no longer write" in stopped[-1].params["text"]
    await refbot.press(partner, notice, button(notice, "Написать"))
    refused = await refbot.say(partner, "Are you there?")
    assert "not to write" in refused[-1].params["text"]


async def test_forget_ends_every_thread_and_erases_its_texts(refbot):
    lead, member, partner, notice = await delivered(refbot)
    queued = await refbot.services.threads.partner_writes(lead.company_id, lead.id, "Hi")
    assert await refbot.services.members.forget(member.id)
    async with refbot.services.db() as session:
        texts = (await session.scalars(select(ThreadMessage.text))).all()
        threads = (
            await session.execute(select(LeadThread.stopped_at, LeadThread.partner_chat_id))
        ).all()
    assert texts == [None] and queued.message_id
    assert all(stopped is not None and chat is None for stopped, chat in threads)
