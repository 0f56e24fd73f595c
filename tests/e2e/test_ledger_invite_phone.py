"""Invites under a company's phone check and caps, through the real bot: the
invitee's own contact is accepted and kept only as a keyed hash, someone else's
is refused, one phone earns once, and an inviter's daily cap holds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from localapi import FakeUser
from referral import (
    all_models,  # noqa: F401  (every table in the metadata)
    links,
)
from referral.db import Base
from referral.ledger.activity_models import Invite, MemberPhone
from tests.e2e.harness import LINK_SECRET

KEY = LINK_SECRET.encode()
CATALOG = "code,name,category,price\nlatte,Latte,coffee,250.00\n"
PHONE, SAME_PHONE_WRITTEN_OTHERWISE = "+7 926 123-45-67", "89261234567"


async def acme(refbot, **rules: str) -> int:
    company = await refbot.services.companies.add("Acme Coffee", "acme")
    loyalty = refbot.services.loyalty
    await loyalty.catalog.import_csv("acme", CATALOG)
    await loyalty.rules.set("acme", {"invite_points": "50", **rules})
    await refbot.services.ledger.deposit(company.id, 10_000, "top-up")
    return company.id


async def inviter_link(refbot, user: FakeUser, replies: int) -> str:
    await refbot.join(user, links.sign(links.LinkTarget("acme"), KEY))
    caption = (await refbot.say(user, "/invite", replies=replies))[0].params["caption"]
    return re.search(r"start=([A-Za-z0-9_-]+)", caption).group(1)


async def share(refbot, user: FakeUser, phone: str, user_id: int | None = None) -> str:
    before = len(refbot.sent(user))
    refbot.api.share_contact(user, phone, user_id)
    return (await refbot.wait_sent(user, before + 1))[-1].params["text"]


async def buy(refbot, *users: FakeUser) -> None:
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    rows = ["client,service,amount,time"]
    for user in users:  # one file, one row each, in this order
        member = (await refbot.services.members.identify(user.id)).member
        rows.append(f"{member.pseudonym},latte,250,{at}")
    await refbot.services.loyalty.purchases.import_csv("acme", "\n".join(rows) + "\n")


async def invite_reasons(refbot) -> dict[int, tuple[str, str]]:
    """Invitee's Telegram id -> (status, reason) of their invite."""
    members = refbot.services.members
    async with refbot.services.db() as session:
        rows = await session.execute(select(Invite.invitee_id, Invite.status, Invite.reason))
        by_member = {row.invitee_id: (row.status, row.reason) for row in rows.all()}
    found = {}
    for telegram_id in (2, 3, 4, 5, 6):
        identity = await members.identify(7000 + telegram_id)
        if identity.member is not None and identity.member.id in by_member:
            found[7000 + telegram_id] = by_member[identity.member.id]
    return found


async def test_phone_check_keeps_a_hash_refuses_forwarded_contacts_and_rewards_a_phone_once(refbot):
    await acme(refbot, require_phone="yes")
    anna = FakeUser(7001, "Anna", language_code="en")
    payload = await inviter_link(refbot, anna, replies=2)  # the link, then the phone hint
    hint = refbot.sent(anna)[-1]
    assert "phone check" in hint.params["text"]
    assert "request_contact" in str(hint.params["reply_markup"])

    bob, carol, dave = (
        FakeUser(7000 + n, name, language_code="en")
        for n, name in ((2, "Bob"), (3, "Carol"), (4, "Dave"))
    )
    for user in (bob, carol, dave):
        await refbot.join(user, payload)

    assert "number is checked" in await share(refbot, bob, PHONE)
    # Carol forwards Bob's contact card: its user_id is Bob's, not hers.
    refused = await share(refbot, carol, PHONE, user_id=bob.id)
    assert "share your own number" in refused
    # Dave's account carries the same phone, written the Russian way.
    assert "number is checked" in await share(refbot, dave, SAME_PHONE_WRITTEN_OTHERWISE)

    async with refbot.services.db() as session:
        hashes = (await session.scalars(select(MemberPhone.phone_hash))).all()
    assert len(hashes) == 2 and hashes[0] == hashes[1]  # Bob and Dave; nothing for Carol
    async with refbot.services.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            dump = repr((await conn.execute(select(table))).all())
            assert "9261234567" not in dump, f"the phone number is stored in {table.name}"

    await buy(refbot, bob, carol, dave)
    assert await invite_reasons(refbot) == {
        bob.id: ("awarded", ""),
        carol.id: ("refused", "no_phone"),
        dave.id: ("refused", "phone_used"),
    }
    anna_member = (await refbot.services.members.identify(anna.id)).member
    stats = await refbot.services.loyalty.invites.stats(anna_member.id)
    assert (stats.completed, stats.waiting) == (0, 1)  # one reward, waiting out the return window


async def test_the_inviters_daily_cap_stops_rewards_beyond_it(refbot):
    await acme(refbot, invite_daily_cap="2")
    anna = FakeUser(7001, "Anna", language_code="ru")
    payload = await inviter_link(refbot, anna, replies=1)
    friends = [FakeUser(7000 + n, f"Friend{n}", language_code="ru") for n in (2, 3, 4)]
    for friend in friends:
        await refbot.join(friend, payload)

    await buy(refbot, *friends)
    assert list((await invite_reasons(refbot)).values()) == [
        ("awarded", ""),
        ("awarded", ""),
        ("refused", "daily_cap"),
    ]
    anna_member = (await refbot.services.members.identify(anna.id)).member
    stats = await refbot.services.loyalty.invites.stats(anna_member.id)
    assert (stats.completed, stats.waiting) == (0, 2)
    caption = (await refbot.say(anna, "/invite"))[0].params["caption"]
    assert "ожидают 2." in caption
