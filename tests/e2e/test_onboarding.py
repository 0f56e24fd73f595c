"""The consumer's first minutes, through the real bot and the local Bot API server."""

from __future__ import annotations

from sqlalchemy import select

from localapi import FakeUser
from referral import links
from referral.models import Member
from tests.e2e.harness import LINK_SECRET, button, buttons

KEY = LINK_SECRET.encode()


async def acme(refbot) -> str:
    await refbot.services.companies.add("Acme Coffee", "acme")
    return links.sign(links.LinkTarget("acme"), KEY)


async def test_scan_consent_profile_privacy(refbot):
    payload = await acme(refbot)
    anna = FakeUser(2**33 + 1, "Anna", language_code="ru")
    consent = (await refbot.say(anna, f"/start {payload}"))[0]
    assert "Согласие" in consent.params["text"]
    assert [t for t, _ in buttons(consent)] == ["Согласен", "Не согласен"]

    (question,) = await refbot.press(anna, consent, button(consent, "Согласен"))
    assert question.method == "editMessageText"
    assert "Согласие записано" in question.params["text"]
    assert "возраст" in question.params["text"]
    edited = await refbot.press(anna, question, button(question, "25"))
    assert edited[0].method == "editMessageText" and "доход" in edited[0].params["text"]

    report = (await refbot.say(anna, "/privacy"))[0]
    assert "25–34" in report.params["text"] and "Acme Coffee" in report.params["text"]
    assert "2026-11" in report.params["text"]


async def test_decline_stores_nothing(refbot):
    payload = await acme(refbot)
    bob = FakeUser(77, "Bob", language_code="en")
    consent = (await refbot.say(bob, f"/start {payload}"))[0]
    assert "Consent" in consent.params["text"]
    declined = (await refbot.press(bob, consent, button(consent, "decline")))[0]
    assert "stored nothing" in declined.params["text"]
    async with refbot.services.db() as session:
        assert (await session.scalars(select(Member))).all() == []
    reply = (await refbot.say(bob, "/wallet"))[0]
    assert "consent" in reply.params["text"].lower()
