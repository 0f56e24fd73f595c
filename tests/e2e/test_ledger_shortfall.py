"""A partner's empty deposit through the real bot: the member still gets a polite
answer, and the company's partner admins hear of it at most once an hour."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from localapi import FakeUser
from referral import links
from referral.surveys.spec import parse_spec
from tests.e2e.harness import LINK_SECRET, button, buttons
from tests.e2e.survey_helpers import consenting

KEY = LINK_SECRET.encode()
CATALOG = "code,name,category,price\nlatte,Latte,coffee,250.00\nflat,Flat white,coffee,300.00\n"


async def review_a_purchase(refbot, user: FakeUser, service: str, stars: int) -> str:
    choose = (await refbot.say(user, "/review"))[0]
    rate = (await refbot.press(user, choose, button(choose, service)))[0]
    thanks = (await refbot.press(user, rate, button(rate, "★" * stars)))[0]
    return thanks.params["text"]


async def test_review_on_an_empty_deposit_answers_the_member_and_tells_the_partner_once(refbot):
    await refbot.services.companies.add("Acme Coffee", "acme")
    loyalty = refbot.services.loyalty
    await loyalty.catalog.import_csv("acme", CATALOG)
    await loyalty.rules.set("acme", {"review_points": "20"})  # and no deposit at all
    partner = FakeUser(4999, "Till", language_code="en")
    refbot.api.add_user(partner)
    await refbot.services.roles.grant("partner", partner.id, "acme")
    other_partner = FakeUser(4998, "Olga", language_code="ru")
    refbot.api.add_user(other_partner)
    await refbot.services.companies.add("Other Tea", "tea")
    await refbot.services.roles.grant("partner", other_partner.id, "tea")

    anna = FakeUser(4001, "Anna", language_code="en")
    await refbot.join(anna, links.sign(links.LinkTarget("acme"), KEY))
    anna_member = (await refbot.services.members.identify(anna.id)).member
    bought = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    await loyalty.purchases.import_csv(
        "acme",
        (
            "client,service,amount,time\n"
            f"{anna_member.pseudonym},latte,250,{bought}\n"
            f"{anna_member.pseudonym},flat,300,{bought.replace('T', ' ')}\n"
        ),
    )

    answer = await review_a_purchase(refbot, anna, "Latte", 5)
    assert "reward budget is exhausted" in answer and "saved" in answer
    notice = (await refbot.wait_sent(partner, 1))[0].params["text"]
    # The partner admin has no member row: Russian, the first language.
    assert "Acme Coffee" in notice and "бюджет вознаграждений исчерпан" in notice
    assert "20 баллов" in notice and "осталось 0 баллов" in notice
    assert "refbot deposit acme" in notice

    answer = await review_a_purchase(refbot, anna, "Flat white", 4)  # a burst: no second notice
    assert "reward budget is exhausted" in answer
    await refbot.settle(anna)
    assert len(refbot.sent(partner)) == 1
    assert refbot.sent(other_partner) == []  # another company's admin hears nothing
    assert "No points" in (await refbot.say(anna, "/wallet"))[0].params["text"]

    # The hour is kept in the database, from the first notice on.
    company = await refbot.services.companies.get("acme")
    shortfalls, now = loyalty.shortfalls, datetime.now(UTC)
    assert await shortfalls.recipients_due(company.id, now + timedelta(minutes=55)) == []
    later = await shortfalls.recipients_due(company.id, now + timedelta(minutes=61))
    assert [r.telegram_id for r in later] == [partner.id]

    # The points the two reviews were promised arrive once the deposit is topped up.
    assert "will be credited once the budget is topped up" in answer
    await refbot.services.ledger.deposit(company.id, 1_000, "top-up")
    assert await loyalty.reviews.credit_owed() == 2
    assert "Acme Coffee</b>: 40 points" in (await refbot.say(anna, "/wallet"))[0].params["text"]


async def test_survey_reward_on_an_empty_deposit_is_promised_and_credited_after_a_top_up(refbot):
    company = await refbot.services.companies.add("Acme Coffee", "acme")
    partner = FakeUser(5999, "Till", language_code="en")
    refbot.api.add_user(partner)
    await refbot.services.roles.grant("partner", partner.id, "acme")
    users = [FakeUser(5000 + i, f"U{i}", language_code="en") for i in range(5)]
    await consenting(refbot.services.members, users, "acme")
    survey_id = await refbot.services.surveys.create(
        parse_spec(
            {
                "title": "Coffee",
                "company": "acme",
                "reward_points": 30,
                "questions": [{"kind": "rating", "text": "How do you like our coffee?"}],
            }
        )
    )
    await refbot.services.surveys.queue(survey_id)

    anna = users[0]
    deadline = time.monotonic() + 20
    while not refbot.api.delivered(anna.id, "sendMessage"):
        assert time.monotonic() < deadline, "the survey never reached the member"
        await asyncio.sleep(0.05)
    question = refbot.api.delivered(anna.id, "sendMessage")[0]
    pressed = await refbot.press(anna, question, buttons(question)[4][1], replies=2)
    thanks = pressed[-1].params["text"]
    assert "reward budget is exhausted" in thanks and "30 points will be credited" in thanks
    notice = (await refbot.wait_sent(partner, 1))[0].params["text"]
    assert "Acme Coffee" in notice and "опрос" in notice and "30 баллов" in notice

    # The retry job credits it once the operator tops the deposit up.
    await refbot.services.ledger.deposit(company.id, 1_000, "top-up")
    await refbot.services.survey_answers.credit_missed()
    assert "Acme Coffee</b>: 30 points" in (await refbot.say(anna, "/wallet"))[0].params["text"]
