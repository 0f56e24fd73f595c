"""A partner's empty deposit through the real bot: the member still gets a polite
answer, and the company's partner admins hear of it at most once an hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.localapi import FakeUser
from referral import links
from tests.e2e.harness import LINK_SECRET, button

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
    await loyalty.purchases.import_csv("acme", (
        "client,service,amount,time\n"
        f"{anna_member.pseudonym},latte,250,{bought}\n"
        f"{anna_member.pseudonym},flat,300,{bought.replace('T', ' ')}\n"))

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
