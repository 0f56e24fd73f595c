"""The lead pipeline through the real dispatcher and the local Bot API server:
a client card becomes an offer in the member's chat, Accept delivers it to the
partner's admin, whose Won button closes it; nobody sees a Telegram id."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.jobs.leads import run_lead_pass
from localapi import FakeUser
from referral.leads.cards import CardIn
from referral.leads.models import LeadTransition
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
