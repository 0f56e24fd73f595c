"""The ledger through the real bot and the local Bot API server: invites,
vouchers, expiry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.jobs.ledger import remind_expiring, settle_and_expire
from localapi import FakeUser
from referral import links
from tests.e2e.harness import LINK_SECRET, button

KEY = LINK_SECRET.encode()
CATALOG = "code,name,category,price\nlatte,Latte,coffee,250.00\n"


async def acme(refbot, **rules: str) -> int:
    company = await refbot.services.companies.add("Acme Coffee", "acme")
    loyalty = refbot.services.loyalty
    await loyalty.catalog.import_csv("acme", CATALOG)
    await loyalty.rules.set("acme", {"point_value": "1000", **rules})
    await refbot.services.ledger.deposit(company.id, 10_000, "top-up")
    return company.id


async def member_of(refbot, telegram_id: int):
    return (await refbot.services.members.identify(telegram_id)).member


async def points_line(refbot, user) -> str:
    return (await refbot.say(user, "/wallet"))[0].params["text"]


async def test_invite_rewards_the_inviter_once_after_the_return_window(refbot):
    await acme(refbot, invite_points="50", return_window_days="14")
    anna = FakeUser(1001, "Anna", language_code="ru")
    await refbot.join(anna, links.sign(links.LinkTarget("acme"), KEY))
    caption = (await refbot.say(anna, "/invite"))[0].params["caption"]
    payload = re.search(r"start=([A-Za-z0-9_-]+)", caption).group(1)

    bob = FakeUser(1002, "Bob", language_code="en")
    consent = (await refbot.say(bob, f"/start {payload}"))[0]
    accept = refbot.api.press_button(bob, consent, button(consent, "agree"))
    await refbot.wait_sent(bob, 2)  # the consent, then its edit into the first question
    refbot.api.push_update(accept)  # Telegram delivers the qualifying press twice
    await refbot.settle(bob)
    bob_member = await member_of(refbot, bob.id)
    anna_member = await member_of(refbot, anna.id)
    assert bob_member.invited_by_id == anna_member.id

    bought = datetime.now(UTC) - timedelta(days=1)
    purchases = (
        f"client,service,amount,time\n{bob_member.pseudonym},latte,250,{bought.isoformat()}\n"
    )
    first = await refbot.services.loyalty.purchases.import_csv("acme", purchases)
    again = await refbot.services.loyalty.purchases.import_csv("acme", purchases)
    assert (first.added, again.added, again.unchanged) == (1, 0, 1)

    await settle_and_expire(refbot.services.ledger, bought + timedelta(days=13))
    assert "Acme Coffee</b>: 0 баллов" in await points_line(refbot, anna)
    await settle_and_expire(refbot.services.ledger, bought + timedelta(days=14))
    await settle_and_expire(refbot.services.ledger, bought + timedelta(days=15))
    wallet = await points_line(refbot, anna)
    assert "Acme Coffee</b>: 50 баллов" in wallet
    assert wallet.count("приглашение друга: +50") == 1
    stats = await refbot.services.loyalty.invites.stats(anna_member.id)
    assert (stats.completed, stats.waiting) == (1, 0)


async def test_voucher_issue_redeem_and_replayed_press(refbot):
    company_id = await acme(refbot)
    anna = FakeUser(2001, "Anna", language_code="en")
    await refbot.join(anna, links.sign(links.LinkTarget("acme"), KEY))
    anna_member = await member_of(refbot, anna.id)
    assert await refbot.services.ledger.award_points(anna_member.id, company_id, 40, "gift", "g1")

    wallet = (await refbot.say(anna, "/wallet"))[0]
    assert "40 points" in wallet.params["text"]
    offers = (await refbot.press(anna, wallet, button(wallet, "Spend")))[0]
    data = button(offers, "Latte")  # 250 roubles at 10 roubles a point: 25 points
    voucher = (await refbot.press(anna, offers, data))[0].params["text"]
    code = re.search(r"<code>([A-Z0-9]+)</code>", voucher).group(1)
    replay = (await refbot.press(anna, offers, data))[0].params["text"]
    assert code in replay  # the same voucher, nothing reserved twice
    assert "15 points" in (await refbot.say(anna, "/wallet"))[0].params["text"]

    await refbot.services.roles.grant("partner", 2999, "acme")
    partner = FakeUser(2999, "Till", language_code="en")
    assert "redeemed" in (await refbot.say(partner, f"/redeem {code}"))[0].params["text"]
    assert "already" in (await refbot.say(partner, f"/redeem {code}"))[0].params["text"]
    assert "redeemed" not in (await refbot.say(anna, f"/redeem {code}"))[0].params["text"]
    text = (await refbot.say(anna, "/wallet"))[0].params["text"]
    assert "15 points" in text and "voucher: -25 points" in text


async def test_points_expire_after_a_reminder(refbot):
    company_id = await acme(refbot, points_ttl_days="10")
    anna = FakeUser(3001, "Anna", language_code="en")
    await refbot.join(anna, links.sign(links.LinkTarget("acme"), KEY))
    anna_member = await member_of(refbot, anna.id)
    await refbot.services.ledger.award_points(anna_member.id, company_id, 30, "gift", "g")
    now = datetime.now(UTC)
    before = len(refbot.sent(anna))
    assert await remind_expiring(refbot.services, refbot.bot, now + timedelta(days=4)) == 1
    assert await remind_expiring(refbot.services, refbot.bot, now + timedelta(days=5)) == 0
    reminder = (await refbot.wait_sent(anna, before + 1))[-1].params["text"]
    assert "30 points at Acme Coffee expire" in reminder
    await settle_and_expire(refbot.services.ledger, now + timedelta(days=11))
    text = (await refbot.say(anna, "/wallet"))[0].params["text"]
    assert "Acme Coffee</b>: 0 points" in text and "points expired: -30 points" in text
