"""Partner /stats and /leads through the real bot, each partner seeing only their
own company; and the reminder job run once against the Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.jobs.leads import run_lead_pass
from bot.jobs.offers import send_reminders
from bot.middlewares.throttling import ThrottlingMiddleware
from localapi import FakeUser, LocalBotAPI
from referral import links
from tests.e2e.harness import LINK_SECRET, BotUnderTest, running_bot, test_settings
from tests.offers_world import START, seed


async def partners(refbot) -> tuple[FakeUser, FakeUser]:
    cafe, gym = (
        FakeUser(2**34 + 1, "Cafe admin", language_code="en"),
        FakeUser(2**34 + 2, "Gym admin"),
    )
    await refbot.services.roles.grant("partner", cafe.id, "cafe")
    await refbot.services.roles.grant("partner", gym.id, "gym")
    return cafe, gym


async def test_partner_stats_are_a_chart_and_words_of_their_own_company(refbot):
    await seed(refbot.services.db)  # cafe: 7 members, 52 purchases; gym: 5 members
    cafe, gym = await partners(refbot)
    photo, words = await refbot.say(cafe, "/stats", replies=2)
    assert photo.method == "sendPhoto"
    ((_, png),) = photo.files.values()
    assert png.startswith(b"\x89PNG")
    text = words.params["text"]
    assert "<b>Cafe</b>" in text and "through your QR code: 7." in text
    assert "Leads (offers members accepted): fewer than 5" in text  # nobody accepted yet
    assert "Paying members: 7, purchases: 52." in text
    gyms = (await refbot.say(gym, "/stats", replies=2))[1].params["text"]
    assert "<b>Gym</b>" in gyms and "Cafe" not in gyms
    assert "по вашему QR-коду: 5." in gyms  # the gym admin's app is Russian


@pytest.fixture
async def refbot_floor_1(
    api: LocalBotAPI, sqlite_file: str, tmp_path: Path
) -> AsyncIterator[BotUnderTest]:
    """The bot with MIN_AUDIENCE=1: nothing is hidden, a 0 is a 0."""
    settings = test_settings(api, sqlite_file, tmp_path, min_audience=1)
    async with running_bot(api, settings, throttle=ThrottlingMiddleware(rate=5, burst=20)) as bot:
        yield bot


async def test_under_a_floor_of_one_percentages_read_zero_not_an_upper_bound(refbot_floor_1):
    refbot = refbot_floor_1
    world = await seed(refbot.services.db)  # June buyers: 7 at the cafe, none came back in July
    solo = world.members["solo"].id
    offer = (await refbot.services.offers.offers_for(solo))[0]
    await refbot.services.offers.accept(offer.offer_id, solo)
    cafe, _ = await partners(refbot)
    await run_lead_pass(refbot.services, refbot.bot)  # one lead delivered, not paid for
    await refbot.wait_sent(cafe, 1)
    text = (await refbot.say(cafe, "/stats", replies=2))[1].params["text"]
    assert "Leads (offers members accepted): 1; paid for that service afterwards: 0" in text
    assert "conversion to payment 0%." in text, text
    assert "of the members who bought in one month, 0% bought again in the next." in text
    assert "under" not in text and "not shown" not in text


async def test_under_a_floor_of_one_a_share_of_nothing_says_so_not_too_few_people(refbot_floor_1):
    refbot = refbot_floor_1
    await seed(refbot.services.db)
    _, gym = await partners(refbot)  # the gym has had no lead: conversion is 0 of 0
    text = (await refbot.say(gym, "/stats", replies=2))[1].params["text"]
    assert "Заявок (принятых предложений): 0;" in text, text  # the gym's admin reads Russian
    assert "конверсия в оплату пока не считается (не из чего)." in text, text
    assert "не показано" not in text and "мало людей" not in text


async def test_leads_are_refused_without_the_role_and_never_shown_to_another_company(refbot):
    world = await seed(refbot.services.db)
    solo = world.members["solo"].id
    offer = (await refbot.services.offers.offers_for(solo))[0]
    await refbot.services.offers.accept(offer.offer_id, solo)
    pseudonym = world.members["solo"].pseudonym
    cafe, gym = await partners(refbot)
    await run_lead_pass(refbot.services, refbot.bot)  # accepted -> delivered
    await refbot.wait_sent(cafe, 1)  # the delivery notice

    own = "\n".join(c.params["text"] for c in await refbot.say(cafe, "/leads", replies=2))
    assert "Leads of Cafe" in own and pseudonym in own and offer.service.split()[0] in own
    other = (await refbot.say(gym, "/leads"))[0].params["text"]
    assert other == "Заявок пока нет." and pseudonym not in other
    member = FakeUser(2**34 + 3, "Member", language_code="en")
    await refbot.join(member, links.sign(links.LinkTarget("cafe"), LINK_SECRET.encode()))
    for command in ("/leads", "/stats"):
        refused = (await refbot.say(member, command))[0].params["text"]
        assert "only for partner staff" in refused and pseudonym not in refused


async def test_an_admin_of_several_companies_gets_one_line_for_those_without_leads(refbot):
    world = await seed(refbot.services.db)  # three companies: cafe, gym, spa
    solo = world.members["solo"].id
    offer = (await refbot.services.offers.offers_for(solo))[0]
    await refbot.services.offers.accept(offer.offer_id, solo)
    admin = FakeUser(2**34 + 4, "Admin of three", language_code="en")
    quiet = FakeUser(2**34 + 5, "Admin of two quiet ones", language_code="en")
    for code in ("cafe", "gym", "spa"):
        await refbot.services.roles.grant("partner", admin.id, code)
    for code in ("gym", "spa"):
        await refbot.services.roles.grant("partner", quiet.id, code)
    await run_lead_pass(refbot.services, refbot.bot)  # accepted -> delivered to the cafe
    await refbot.wait_sent(admin, 1)  # the delivery notice

    header, line, summary = await refbot.say(admin, "/leads", replies=3)
    assert "Leads of Cafe" in header.params["text"] and "reply_markup" in line.params
    assert summary.params["text"] == "No leads yet at: Gym, Spa."
    [none] = await refbot.say(quiet, "/leads")
    assert none.params["text"] == "No leads yet."
    for user, calls in ((admin, 4), (quiet, 1)):  # notice + 3; nothing more came afterwards
        await refbot.settle(user)
        assert len(refbot.sent(user)) == calls + 1  # and the /help reply of settle()


async def test_reminder_job_sends_each_due_member_one_message(refbot):
    world = await seed(refbot.services.db)
    due = START + timedelta(days=27, hours=1)  # 14:00 in Moscow: outside quiet hours
    assert await send_reminders(refbot.services, refbot.bot, now=due) == 11
    regulars = [m for name, m in world.members.items() if name != "lifter"]
    for member in regulars:
        [message] = refbot.sent(member.telegram_id)
        assert message.method == "sendMessage" and "Time for it again?" in message.params["text"]
    assert refbot.sent(world.members["lifter"].telegram_id) == []
    # Run again the same hour, and in quiet hours a day later: nothing more reaches Telegram.
    assert await send_reminders(refbot.services, refbot.bot, now=due + timedelta(hours=1)) == 0
    night = START + timedelta(days=28, hours=10)  # 23:00 in Moscow
    assert await send_reminders(refbot.services, refbot.bot, now=night) == 0
    assert sum(len(refbot.sent(m.telegram_id)) for m in world.members.values()) == 11


async def test_retention_job_sends_offers_with_buttons_most_valuable_member_first(refbot):
    from bot.jobs.offers import send_retention_offers
    from referral.offers.nudges import NudgeService
    from tests.integration.test_offer_nudges import EveryoneAtRisk, FixedStore, buy

    world = await seed(refbot.services.db)
    lifter = world.members["lifter"]
    await buy(
        refbot.services.db, lifter.pseudonym, "spa", "massage", 5000, START + timedelta(days=9)
    )
    # The classifier is stubbed (everyone at risk); the job, the claim and the sends are real.
    refbot.services.nudges = NudgeService(refbot.services.db, FixedStore(EveryoneAtRisk(60)))
    now = START + timedelta(days=22, hours=2)  # 15:00 in Moscow
    assert await send_retention_offers(refbot.services, refbot.bot, now=now) == 12
    headers = [
        c for c in refbot.api.delivered(method="sendMessage") if "We miss you" in c.params["text"]
    ]
    assert len(headers) == 12 and headers[0].params["chat_id"] == lifter.telegram_id
    offers = refbot.sent(lifter.telegram_id)[1:]
    assert offers and all(c.params.get("reply_markup") for c in offers)
    assert (
        await send_retention_offers(refbot.services, refbot.bot, now=now + timedelta(days=1)) == 0
    )
