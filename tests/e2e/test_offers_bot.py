"""/offers through the real bot: Accept makes one lead, forged and repeated presses none."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.keyboards.offers import OfferAction
from localapi import FakeUser
from referral import links
from referral.offers.models import Lead, OfferFeedback
from referral.offers.training import train
from tests.e2e.harness import LINK_SECRET, button, buttons
from tests.offers_world import seed


async def count(refbot, model) -> int:
    async with refbot.services.db() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def joined(refbot, user: FakeUser) -> None:
    await seed(refbot.services.db, extra=False)  # cafe members buy coffee and cake
    await train(refbot.settings.data_dir, refbot.services.db, tune=False)
    await refbot.join(user, links.sign(links.LinkTarget("cafe"), LINK_SECRET.encode()))


async def offers(refbot, user: FakeUser):
    before = len(refbot.sent(user))
    refbot.api.send_text(user, "/offers")
    await refbot.wait_sent(user, before + 2)
    await refbot.settle(user)
    return [c for c in refbot.sent(user)[before:] if buttons(c)]


async def test_accept_creates_one_lead_and_edits_the_offer(refbot):
    anna = FakeUser(2**33 + 7, "Anna", language_code="ru")
    await joined(refbot, anna)
    shown = await offers(refbot, anna)
    assert shown and "Почему" in shown[0].params["text"]
    assert "<b>deluxe</b>" not in "".join(c.params["text"] for c in shown)  # partner text escaped
    edited = (await refbot.press(anna, shown[0], button(shown[0], "Интересно")))[0]
    assert edited.method == "editMessageText" and "Заявка отправлена" in edited.params["text"]
    refbot.api.press_button(anna, shown[0], button(shown[0], "Интересно"), strict=False)
    await refbot.settle(anna)
    assert await count(refbot, Lead) == 1 and await count(refbot, OfferFeedback) == 1


async def test_forged_and_duplicate_presses_create_nothing_more(refbot):
    anna, bob = FakeUser(2**33 + 8, "Anna", language_code="en"), FakeUser(2**33 + 9, "Bob")
    await joined(refbot, anna)
    await refbot.join(bob, links.sign(links.LinkTarget("cafe"), LINK_SECRET.encode()))
    annas = await offers(refbot, anna)
    offer_id = OfferAction.unpack(button(annas[0], "Interested")).offer_id
    for forged in (
        OfferAction(action="a", offer_id=offer_id),
        OfferAction(action="a", offer_id=10**9),
    ):
        refbot.api.press_button(bob, annas[0], forged.pack(), strict=False)
    await refbot.settle(bob)
    assert await count(refbot, Lead) == 0
    press = refbot.api.press_button(anna, annas[0], button(annas[0], "Not interested"))
    refbot.api.push_update(press)  # Telegram delivers the same update twice
    await refbot.settle(anna)
    assert await count(refbot, OfferFeedback) == 1 and await count(refbot, Lead) == 0


async def test_shared_location_puts_the_nearest_outlet_first(refbot):
    anna = FakeUser(2**33 + 10, "Anna", language_code="en")
    await joined(refbot, anna)
    await refbot.services.loyalty.catalog.import_csv(
        "cafe",
        "code,name,category,price,outlet_name,outlet_lat,outlet_lon\n"
        "bagel,Bagel,bakery,90,Cafe Far,43.1,131.9\n",
    )
    before = len(refbot.sent(anna))
    refbot.api.share_location(
        anna, 59.93, 30.33
    )  # St Petersburg: the spa is in Krasnodar, the cafe in Moscow
    await refbot.wait_sent(anna, before + 2)
    await refbot.settle(anna)
    texts = [c.params["text"] for c in refbot.sent(anna)[before:] if buttons(c)]
    assert texts and "km" in texts[0]
    distances = [
        float(t.split("Nearest outlet: ")[1].split(" km")[0])
        for t in texts
        if "Nearest outlet" in t
    ]
    assert distances == sorted(distances) and len(distances) >= 2
