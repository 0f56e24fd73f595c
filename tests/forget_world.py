"""The full world of the erasure test (tests/e2e/test_forget_full_world.py):
one person, Eve, who has done everything refbot lets a person do, through the
same public paths a person and an operator take (bot updates through the
local Bot API server, the services the CLI calls).

Adding a feature? If it lets a person do something that stores anything
about them (a row, a chat id, a username, a message), add that step to
``build`` below, through the bot or the service the CLI uses, and to
``Footprint`` a check that the step left its row: the erasure test then
proves /forget erases it, on SQLite and PostgreSQL. A new column named
like a Telegram id (*telegram_id, *chat_id, ...) also fails the test until
it is listed in tests/e2e/test_forget_full_world.py with what /forget does
to it (and MemberService.forget, through referral/erasure.py, does it).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.jobs.ledger import settle_and_expire
from localapi import FakeUser
from referral import links
from referral.leads.models import ThreadMessage
from referral.ledger.activity_models import Invite, Purchase, Review, Voucher
from referral.ledger.bookkeeping_models import CASHBACK, Account
from referral.models import Member, RoleGrant
from referral.offers.models import Lead, OfferFeedback
from referral.offers.training import train
from referral.surveys import models as survey_models
from referral.surveys.spec import parse_spec
from tests.e2e.harness import LINK_SECRET, BotUnderTest, button, buttons
from tests.offers_world import seed
from tests.surveys.factories import QUESTIONS

EVE = FakeUser(2**41 + 777, "Eve", language_code="en", username="eve_forgets_all")
ANN = FakeUser(2**41 + 778, "Ann", language_code="en")  # invites Eve
BOB = FakeUser(2**41 + 779, "Bob", language_code="en")  # invited by Eve
KEY = LINK_SECRET.encode()


@dataclass
class Footprint:
    """What Eve left before /forget: each must be there, or the world proves nothing."""

    member_id: int
    purchases: int
    cashback: int | None
    vouchers: int
    invites_received: int
    invites_sent: int
    reviews: int
    survey_answers: int
    watched_surveys: int
    offers_accepted: int
    offers_declined: int
    leads: int
    thread_messages: int
    roles: int
    language: str | None

    def missing(self) -> list[str]:
        return [name for name, value in vars(self).items() if not value]


async def _invite_payload(refbot: BotUnderTest, user: FakeUser) -> str:
    caption = (await refbot.say(user, "/invite"))[0].params["caption"]
    found = re.search(r"start=([A-Za-z0-9_-]+)", caption)
    assert found, caption
    return found.group(1)


async def _offers(refbot: BotUnderTest, user: FakeUser):  # type: ignore[no-untyped-def]
    before = len(refbot.sent(user))
    refbot.api.send_text(user, "/offers")
    await refbot.wait_sent(user, before + 2)
    await refbot.settle(user)
    return [call for call in refbot.sent(user)[before:] if buttons(call)]


async def build(refbot: BotUnderTest) -> Footprint:
    """Eve's whole life in refbot, then what it left (checked by the caller)."""
    services = refbot.services
    await seed(services.db)  # members of a cafe and a gym with their habits
    cafe = await services.companies.get("cafe")
    rules = {"invite_points": "50", "review_points": "20", "cashback": "5%"}
    await services.loyalty.rules.set("cafe", rules | {"return_window_days": "0"})
    await services.ledger.deposit(cafe.id, 100_000, "world-points")
    await services.ledger.deposit(cafe.id, 10_000_000, "world-cashback", currency="cashback")

    # A language chosen, then invited by Ann: an invite received.
    await refbot.join(ANN, links.sign(links.LinkTarget("cafe"), KEY))
    choose = (await refbot.say(EVE, "/language"))[0]
    await refbot.press(EVE, choose, button(choose, "English"))
    await refbot.join(EVE, await _invite_payload(refbot, ANN))
    eve = (await services.members.identify(EVE.id)).member
    assert eve is not None
    # Eve invites Bob: an invite sent.
    await refbot.join(BOB, await _invite_payload(refbot, EVE))

    # Purchases (with cashback) reported by the partner, the invite rewards settled.
    bought = datetime.now(UTC) - timedelta(hours=2)
    rows = "client,service,amount,time\n" + "".join(
        f"{eve.pseudonym},{code},300,{(bought + timedelta(minutes=n)).isoformat()}\n"
        for n, code in enumerate(("coffee", "coffee"))
    )
    bob = (await services.members.identify(BOB.id)).member
    assert bob is not None  # his first purchase makes Eve's invite count
    rows += f"{bob.pseudonym},coffee,300,{bought.isoformat()}\n"
    await services.loyalty.purchases.import_csv("cafe", rows)
    await train(refbot.settings.data_dir, services.db, tune=False)  # Eve's habits included
    await settle_and_expire(services.ledger, datetime.now(UTC) + timedelta(minutes=1))

    # Points spent on a voucher; a review of a purchase.
    await services.ledger.award_points(eve.id, cafe.id, 500, "gift", "world-gift")
    wallet = (await refbot.say(EVE, "/wallet"))[0]
    spend = (await refbot.press(EVE, wallet, button(wallet, "Spend")))[0]
    await refbot.press(EVE, spend, button(spend, "Coffee"))
    choose = (await refbot.say(EVE, "/review"))[0]
    rate = (await refbot.press(EVE, choose, buttons(choose)[0][1]))[0]
    await refbot.press(EVE, rate, button(rate, "★★★★"))

    # Offers shown, one accepted (a lead), one declined; a location shared.
    shown = await _offers(refbot, EVE)
    assert len(shown) >= 2, [call.summary() for call in shown]
    await refbot.press(EVE, shown[0], button(shown[0], "Interested"))
    await refbot.press(EVE, shown[1], button(shown[1], "Not interested"))
    # The partner of the lead her Accept delivered writes; she replies through the bot
    # (naming herself, as people do), so the thread holds her words.
    async with services.db() as session:
        lead = await session.scalar(select(Lead).where(Lead.member_id == eve.id))
    assert lead is not None and lead.status == "delivered"
    note = await services.threads.partner_writes(lead.company_id, lead.id, "Hello from us")
    await services.threads.member_replies(note.thread_id, eve.id, f"Call @{EVE.username}")
    before = len(refbot.sent(EVE))
    refbot.api.share_location(EVE, 55.75, 37.61)
    await refbot.wait_sent(EVE, before + 1)
    await refbot.settle(EVE)

    # Roles: a marketer who watches a survey's progress, and partner staff at the cafe.
    await services.roles.grant("marketer", EVE.id)
    await services.roles.grant("partner", EVE.id, "cafe")
    survey_id = await services.surveys.create(
        parse_spec({"title": "Coffee", "company": "cafe", "questions": QUESTIONS[:1]})
    )
    await services.surveys.watch(survey_id, EVE.id, 4242, "en")
    # A survey answered as a member.
    await services.surveys.queue(survey_id)
    question = await _first_delivered(refbot, EVE)
    await refbot.press(EVE, question, buttons(question)[2][1], replies=2)
    await refbot.settle(EVE)
    return await footprint(refbot, eve.id)


async def _first_delivered(refbot: BotUnderTest, user: FakeUser):  # type: ignore[no-untyped-def]
    for _ in range(400):  # the bot's outbox drainer runs every second
        delivered = [c for c in refbot.api.delivered(user.id, "sendMessage") if buttons(c)]
        surveys = [c for c in delivered if "Coffee" in c.params.get("text", "")]
        if surveys:
            return surveys[-1]
        await asyncio.sleep(0.05)
    raise AssertionError("the survey never reached Eve")


async def footprint(refbot: BotUnderTest, member_id: int) -> Footprint:
    def count(model, *where):  # type: ignore[no-untyped-def]
        return select(func.count()).select_from(model).where(*where)

    async with refbot.services.db() as session:
        scalar = session.scalar
        member = await session.get(Member, member_id)
        assert member is not None
        return Footprint(
            member_id=member_id,
            purchases=await scalar(count(Purchase, Purchase.member_id == member_id)),
            cashback=await scalar(
                select(Account.posted + Account.pending_in).where(
                    Account.member_id == member_id, Account.currency == CASHBACK
                )
            ),
            vouchers=await scalar(count(Voucher, Voucher.member_id == member_id)),
            invites_received=await scalar(count(Invite, Invite.invitee_id == member_id)),
            invites_sent=await scalar(count(Invite, Invite.inviter_id == member_id)),
            reviews=await scalar(count(Review, Review.member_id == member_id)),
            survey_answers=await scalar(
                count(survey_models.SurveyAnswer, survey_models.SurveyAnswer.member_id == member_id)
            ),
            watched_surveys=await scalar(
                count(survey_models.Survey, survey_models.Survey.progress_chat_id == EVE.id)
            ),
            offers_accepted=await scalar(
                count(OfferFeedback, OfferFeedback.member_id == member_id, OfferFeedback.value == 1)
            ),
            offers_declined=await scalar(
                count(
                    OfferFeedback, OfferFeedback.member_id == member_id, OfferFeedback.value == -1
                )
            ),
            leads=await scalar(count(Lead, Lead.member_id == member_id)),
            thread_messages=await scalar(
                count(ThreadMessage, ThreadMessage.text.contains(EVE.username or "-"))
            ),
            roles=await scalar(count(RoleGrant, RoleGrant.telegram_id == EVE.id)),
            language=member.language,
        )
