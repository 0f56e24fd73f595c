"""The money rules of offers through the real bot: an upsell priced near what the
member usually pays, a bigger cashback when their spend dropped, a retention
bonus; each switched on with the partner's rules and paid through the ledger once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from localapi import FakeUser
from referral import links
from referral.ledger.bookkeeping_models import CASHBACK, Transfer
from referral.offers.models import Lead
from tests.e2e.harness import LINK_SECRET, button
from tests.e2e.test_offers_bot import offers
from tests.offers_world import add_member

NOW = datetime.now(UTC)
CAFE = (
    "code,name,category,price\n"
    "latte,Latte,coffee,200\n"
    "raf,Raf,coffee,260\n"
    "lungo,Lungo XL,coffee,400\n"  # too dear to bring near a latte within the cap
)
GYM = "code,name,category,price\ndaypass,Day pass,sport,900\nyoga,Yoga class,classes,700\n"


async def partner(refbot, code: str, catalogue: str, **rules: str) -> int:
    company = await refbot.services.companies.add(code.title(), code)
    await refbot.services.loyalty.catalog.import_csv(code, catalogue)
    await refbot.services.loyalty.rules.set(code, rules)  # what `refbot rules set` runs
    await refbot.services.ledger.deposit(company.id, 100_000, f"{code}-cash", currency=CASHBACK)
    await refbot.services.ledger.deposit(company.id, 1_000, f"{code}-points")
    return company.id


async def joined(refbot, user: FakeUser, company: str):
    await refbot.join(user, links.sign(links.LinkTarget(company), LINK_SECRET.encode()))
    return (await refbot.services.members.identify(user.id)).member


async def bought(refbot, company: str, pseudonym: str, service: str, amount: int, days_ago: int):
    at = (NOW - timedelta(days=days_ago, hours=1)).isoformat()
    await refbot.services.loyalty.purchases.import_csv(
        company, f"client,service,amount,time\n{pseudonym},{service},{amount},{at}\n"
    )


async def offer_transfers(refbot) -> list[Transfer]:
    async with refbot.services.db() as session:
        return list((await session.scalars(select(Transfer).where(Transfer.kind == "offer"))).all())


async def test_upsell_is_priced_near_the_usual_and_its_cashback_paid_once(refbot):
    await partner(refbot, "bean", CAFE, upsell_margin="5", upsell_cashback_max="30")
    anna = FakeUser(2**33 + 21, "Anna", language_code="en")
    member = await joined(refbot, anna, "bean")
    for days_ago in (20, 13, 6):
        await bought(refbot, "bean", member.pseudonym, "latte", 200, days_ago)

    [shown] = await offers(refbot, anna)
    text = shown.params["text"]
    # 260 less 19.24% cashback is 209.98: within 5% of the 200 she pays for a latte.
    assert "You usually take Latte" in text and "Raf" in text and "Lungo" not in text
    assert "209.98" in text and "19.24%" in text

    await refbot.press(anna, shown, button(shown, "Interested"))
    await bought(refbot, "bean", member.pseudonym, "raf", 260, 0)
    await bought(refbot, "bean", member.pseudonym, "raf", 260, -1)  # a second raf, next day
    [paid] = await offer_transfers(refbot)
    assert (paid.amount, paid.currency, paid.status) == (5002, CASHBACK, "pending")


async def test_no_upsell_before_the_partner_switches_it_on(refbot):
    await partner(refbot, "bean", CAFE)
    anna = FakeUser(2**33 + 22, "Anna", language_code="en")
    member = await joined(refbot, anna, "bean")
    for days_ago in (20, 13, 6):
        await bought(refbot, "bean", member.pseudonym, "latte", 200, days_ago)
    before = len(refbot.sent(anna))
    refbot.api.send_text(anna, "/offers")
    await refbot.wait_sent(anna, before + 1)
    await refbot.settle(anna)
    reply = refbot.sent(anna)[before]  # only the latte was ever bought: nothing to offer
    assert "No suitable offers" in reply.params["text"]


async def test_a_spend_drop_brings_a_bigger_cashback_paid_from_the_deposit(refbot):
    await partner(refbot, "fit", GYM, spend_drop_cashback="5")
    carl = await add_member(refbot.services.db, "carl", "fit", 2**33 + 30)
    await bought(refbot, "fit", carl.pseudonym, "yoga", 700, 3)  # yoga is what others take
    bob = FakeUser(2**33 + 23, "Bob", language_code="ru")
    member = await joined(refbot, bob, "fit")
    for days_ago in (35, 28, 21, 14):  # weekly until two weeks ago, nothing this week
        await bought(refbot, "fit", member.pseudonym, "daypass", 900, days_ago)

    [shown] = await offers(refbot, bob)
    assert "Yoga class" in shown.params["text"] and "+5%" in shown.params["text"]
    await refbot.press(bob, shown, button(shown, "Интересно"))
    await bought(refbot, "fit", member.pseudonym, "yoga", 700, 0)
    [paid] = await offer_transfers(refbot)
    assert paid.amount == 70_000 * 500 // 10_000
    async with refbot.services.db() as session:
        assert len((await session.scalars(select(Lead))).all()) == 1


async def test_retention_bonus_is_paid_once_per_period_with_the_offer(refbot):
    from bot.jobs.offers import send_retention_offers
    from referral.offers.nudges import NudgeService
    from tests.integration.test_offer_nudges import EveryoneAtRisk, FixedStore

    cafe = await partner(
        refbot,
        "bean",
        CAFE,
        upsell_margin="5",
        retention_points="150",
        retention_min_spend="500",
    )
    anna = FakeUser(2**33 + 24, "Anna", language_code="en")
    member = await joined(refbot, anna, "bean")
    for days_ago in (40, 33, 26):
        await bought(refbot, "bean", member.pseudonym, "latte", 200, days_ago)
    refbot.services.nudges = NudgeService(refbot.services.db, FixedStore(EveryoneAtRisk(60)))
    at = NOW.replace(hour=12, minute=0)  # 15:00 in Moscow: outside quiet hours
    assert await send_retention_offers(refbot.services, refbot.bot, now=at) == 1
    header = refbot.sent(anna)[-2].params["text"]
    assert "We miss you" in header and "Bean gives you 150 bonus points" in header

    views = await refbot.services.offers.offers_for(member.id, now=at)
    again = await refbot.services.offers.retention_bonus(member.id, views, now=at)
    assert again is None  # the same period: the key was used, nothing is paid twice
    wallet = await refbot.services.loyalty.wallet.wallet(member.id)
    assert [(b.company_id, b.points) for b in wallet.balances] == [(cafe, 150)]
