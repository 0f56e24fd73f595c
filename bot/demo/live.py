"""`refbot demo`: the product on the seeded network, and a Telegram-like chat page
(localapi.chat) on the same local Bot API server the bot polls.

Three visitors share the page: a consumer, the partner admin of the network's
partners and a marketer, each in their own chat, so one person follows a lead
from the consumer's Accept to the partner's /leads, or sends a survey as the
marketer and answers it as the consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot.demo.histories import MEMBERS
from bot.demo.network import PARTNERS, price_paid
from bot.demo.world import BOT_USERNAME, LINK_SECRET, fresh_world
from localapi import FakeUser, LocalBotAPI
from localapi.chat import ChatPage, Place, QrCode, Visitor
from referral import links

if TYPE_CHECKING:
    from bot.demo.product import Product
    from refbot.services import Services
    from referral.members import MemberService

T = TypeVar("T")

CONSUMER = FakeUser(7_000_001, "Анна", language_code="ru")
PARTNER_ADMIN = FakeUser(7_000_002, "Павел", language_code="ru")
MARKETER = FakeUser(7_000_003, "Марина", language_code="ru")
SIGHTS = (
    Place("Красная площадь", 55.7539, 37.6208),
    Place("Парк Горького", 55.7298, 37.6010),
    Place("ВДНХ", 55.8263, 37.6377),
)


class MemberLanguage:
    """The page's language switch, carried to the member the bot stored: a
    member's own language wins over their client's (bot/middlewares/admission.py),
    so without this the switch would reach only visitors who have not joined."""

    def __init__(self) -> None:
        self.members: MemberService | None = None  # set once the product runs

    async def __call__(self, user: FakeUser, language: str) -> None:
        if self.members is not None:
            await self.members.set_language(user.id, language)


def chat_page(link_key: bytes, on_language: MemberLanguage | None = None) -> ChatPage:
    qr_codes = tuple(
        QrCode(partner.name, links.sign(links.LinkTarget(partner.code), link_key))
        for partner in PARTNERS
    )
    outlets = tuple(
        Place(outlet.name, outlet.lat, outlet.lon)
        for partner in PARTNERS
        for outlet in partner.outlets
    )
    return ChatPage(
        title="refbot demo",
        visitors=(
            Visitor(
                "consumer",
                CONSUMER,
                {"ru": "покупатель", "en": "consumer"},
                {
                    "ru": (
                        "📎 → «Сканировать QR-код» → «Кофейня «Зерно»», затем «Согласен»",
                        "/offers и «Интересно»: заявка уйдёт партнёру",
                        "/wallet: касса партнёра уже прислала две покупки; 📎 → «Геопозиция»",
                    ),
                    "en": (
                        "📎 → “Scan a QR code” → a partner, then accept the consent",
                        "/offers and press the first button: a lead goes to the partner",
                        "/wallet: the partner's till reported two purchases; 📎 → “Location”",
                    ),
                },
            ),
            Visitor(
                "partner",
                PARTNER_ADMIN,
                {"ru": "админ партнёров", "en": "partner admin"},
                {
                    "ru": (
                        "/leads: заявки покупателей, принявших предложение",
                        "/stats: участники, конверсия, средний чек, с графиком",
                        "/workspace: аналитика в мини-приложении; /qr: QR-код для кассы",
                    ),
                    "en": (
                        "/leads: leads of consumers who accepted an offer",
                        "/stats: members, conversion, average check, with a chart",
                        "/workspace: analytics in the Mini App; /qr: the till's QR code",
                    ),
                },
            ),
            Visitor(
                "marketer",
                MARKETER,
                {"ru": "маркетолог", "en": "marketer"},
                {
                    "ru": (
                        "/survey: название, вопрос, затем компания zerno и «Всем», «Сейчас»",
                        "ответьте на опрос в чате покупателя (он дал согласие «Зерну»)",
                        "/survey results 1: результаты, CSV и график",
                    ),
                    "en": (
                        "/survey: a title, a question, then company zerno, everyone, now",
                        "answer it in the consumer's chat (after they joined «Зерно»)",
                        "/survey results 1: results, CSV and a chart",
                    ),
                },
            ),
        ),
        places=outlets + SIGHTS,
        qr_codes=qr_codes,
        on_language=on_language,
    )


async def grant_staff(services: Services) -> None:
    """The partner admin runs every partner of the network, so whichever
    partner's offer the consumer accepts, its lead shows in their /leads."""
    for partner in PARTNERS:
        await services.roles.grant("partner", PARTNER_ADMIN.id, partner.code)
    await services.roles.grant("marketer", MARKETER.id)


async def report_first_purchases(services: Services) -> None:
    """Once the consumer has accepted, their partner's till reports two purchases
    (a bundle's items, or the first two of the catalogue) through the same
    import a partner uses: /wallet shows the rewards, and /offers has a history
    to read ("members with similar purchases...")."""
    while (member := (await services.members.identify(CONSUMER.id)).member) is None:
        await asyncio.sleep(0.5)
    company = await services.companies.get_by_id(member.company_id)
    partner = next(p for p in PARTNERS if p.code == company.code)
    items = {item.code: item for item in partner.items}
    codes = partner.bundles[0][2] if partner.bundles else tuple(items)[:2]
    now = datetime.now(UTC)
    rows = [
        f"{member.pseudonym},{code},{price_paid(items[code]) / 100:.2f},"
        f"{(now - timedelta(minutes=index + 1)).isoformat()}"
        for index, code in enumerate(codes)
    ]
    await services.loyalty.purchases.import_csv(
        company.code, "client,service,amount,time\n" + "\n".join(rows) + "\n"
    )
    await services.ledger.settle_due()


async def serve_demo(
    data_dir: Path,
    port: int = 8080,
    echo: Callable[[str], None] = print,
    members: int = MEMBERS,
    stop: asyncio.Event | None = None,
) -> int:
    """Serve until ``stop`` is set, or SIGINT / SIGTERM (Ctrl+C)."""
    stop = stop or _stop_on_signals()
    # The first start builds the network in a process of its own (world.py)
    # while this one loads the bot's stack in a thread: two cores, not one.
    both = asyncio.gather(
        fresh_world(data_dir, members, LINK_SECRET, echo), asyncio.to_thread(_bot_stack)
    )
    ready = await _unless_stopped(both, stop)
    if ready is None:
        echo("Stopped before the network was ready; the next start builds it again.")
        return 0
    world, running = ready
    language = MemberLanguage()
    page = chat_page(LINK_SECRET.encode(), on_language=language)
    api = LocalBotAPI("127.0.0.1", port, BOT_USERNAME, chat_page=page, bot_name="Refbot")
    http_port = port + 1 if port else 0  # 0: any free port, as the tests ask
    async with (
        api,
        running(world, api, before_start=grant_staff, http_port=http_port) as product,
    ):
        language.members = product.services.members
        purchases = asyncio.create_task(report_first_purchases(product.services))
        # Loaded now, not on the visitor's first /offers: "ready" means the bot
        # answers with personal offers (bench/bench_demo.py times exactly that).
        await asyncio.to_thread(product.services.offers.store.current)
        echo(f"\nrefbot demo is ready: open {api.url} in a browser")
        echo("Three things to try:")
        echo("  1. as the consumer: 📎 → Scan a QR code → a partner, accept, then /offers")
        echo("  2. press the offer's first button, then switch to the partner admin: /leads")
        echo("  3. as the marketer: /survey, send it, and answer it as the consumer")
        echo(f"(the bot and the page use the local Bot API server at {api.url}; Ctrl+C stops)")
        public = product.settings.public_url
        echo(f"refbot's HTTP server: {public}/api/v1/openapi.json (the CRM API), {public}/app/")
        await stop.wait()
        echo("Stopping: the bot finishes what it is handling, then the database closes.")
        purchases.cancel()
        await asyncio.gather(purchases, return_exceptions=True)
    return 0


def _bot_stack() -> Callable[..., AbstractAsyncContextManager[Product]]:
    """aiogram, FastAPI, the routers and refbot's services (some 3 s of
    imports), and scikit-learn, which loading the trained models needs."""
    import recommender.churn  # noqa: F401 - the churn model's pickle needs it
    import recommender.segments  # noqa: F401 - and the segments'
    from bot.demo.product import running_product

    return running_product


async def _unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> T | None:
    """``work``'s result, or None if ``stop`` came first: Ctrl+C during the
    first start's build stops it there (a template is kept only once complete)."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait((task, stopped), return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return None
    return task.result()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop
