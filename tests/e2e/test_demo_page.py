"""`refbot demo` in Debian's headless chromium, the whole walk the issue names:
a newcomer scans a partner's QR code on the chat page, accepts, takes an
offer, checks the wallet, shares a location from the map's list and switches
the page to English; the partner admin sees the lead, writes to the member and
reads the answer, gets the QR codes and the /stats chart; the marketer builds
a survey, the consumer answers it, and the results come as text, a chart and
a CSV document; the workspace Mini App opens inside the page. Screenshots of
each step are kept under tests/artifacts.
The page, the bot, refbot's HTTP server and the local Bot API server are the
real ones; only the network is smaller than the CLI's."""

from __future__ import annotations

import asyncio
import os
import re
import time
from pathlib import Path
from urllib.parse import urljoin

import aiohttp
import pytest

from bot.demo.live import serve_demo
from bot.demo.network import PARTNERS
from bot.middlewares.throttling import ThrottlingMiddleware
from referral.db import create_engine, create_sessionmaker
from referral.ledger.check import check
from tests.services import required

SMALL_NETWORK = 150
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
WAIT_MS = 20_000


def _unavailable(reason: str) -> None:
    if required():
        pytest.fail(reason + " [REFBOT_REQUIRE_SERVICES=1]")
    pytest.skip(reason)


@pytest.mark.timeout(600)  # some fifty steps through a real browser on a shared machine
async def test_newcomer_follows_a_lead_from_the_qr_code_to_the_partner(tmp_path):
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("the playwright package is absent: pip install -e '.[test]'")
    ARTIFACTS.mkdir(exist_ok=True)
    lines: list[str] = []
    stop = asyncio.Event()
    demo = asyncio.create_task(
        serve_demo(tmp_path, port=0, echo=lines.append, members=SMALL_NETWORK, stop=stop)
    )
    try:
        url = await _address(lines, demo)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 860})
                await page.goto(url)
                try:
                    await _journey(page)
                except BaseException:
                    await page.screenshot(path=ARTIFACTS / "demo-failure.png")
                    # The whole chat of the visitor last shown, and the toasts: what a
                    # screenshot of the visible part cannot tell.
                    text = await page.locator("#messages").inner_text()
                    toasts = await page.locator("#toasts").inner_text()
                    (ARTIFACTS / "demo-failure.txt").write_text(f"{text}\n--- toasts\n{toasts}\n")
                    raise
            finally:
                await browser.close()
        # refbot's own HTTP server runs beside it: the CRM API (and the workspace).
        http = next(re.search(r"HTTP server: (\S+?)/api", line) for line in lines if "HTTP" in line)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{http.group(1)}/api/v1/openapi.json") as response,
        ):
            assert response.status == 200
    finally:
        stop.set()
        assert await demo == 0
    assert await _ledger_problems(tmp_path) == []


class Chat:
    """The person at the page: what they see and what they do, as Playwright sees it."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.bot = page.locator(".msg.bot")
        self._last_action = 0.0

    async def _at_a_human_pace(self) -> None:
        """Act no faster than the bot's flood limit refills.

        Faster than a person types, the throttle drops the update with a
        toast ("slow down") and the step never gets its answer: on an idle
        machine the marketer's eleven quick steps drained the bucket.
        """
        pause = 1 / ThrottlingMiddleware().rate - (time.monotonic() - self._last_action)
        if pause > 0:
            await asyncio.sleep(pause)
        self._last_action = time.monotonic()

    async def says(self, text: str):  # type: ignore[no-untyped-def]
        found = self.bot.filter(has_text=text).last
        await found.wait_for(timeout=WAIT_MS)
        return found

    async def press(self, label: str) -> None:
        exact = re.compile(f"^{re.escape(label)}$")  # "Согласен" is inside "Не согласен"
        await self._at_a_human_pace()
        await self.page.locator(".inline-button", has_text=exact).last.click()

    async def type_in(self, text: str) -> None:
        await self._at_a_human_pace()
        await self.page.fill("#composer-input", text)
        await self.page.click("#send")

    async def become(self, visitor: str) -> None:
        await self.page.click(f'.visitor[data-visitor="{visitor}"]')
        await self.page.locator(f'.visitor.active[data-visitor="{visitor}"]').wait_for()

    async def language(self, code: str) -> None:
        await self.page.click(f'#languages button[data-language="{code}"]')
        await self.page.locator(f'#languages button.active[data-language="{code}"]').wait_for()

    async def photos_shown_and_newest_in_view(self, at_least: int) -> None:
        """Every photo loaded, and the chat scrolled to its newest message."""
        await self.page.wait_for_function(
            """(n) => {
                const photos = [...document.querySelectorAll(".msg.bot img.photo")];
                const list = document.querySelector("#messages");
                return photos.length >= n && photos.every((p) => p.complete && p.naturalWidth > 0)
                    && list.scrollHeight - list.scrollTop - list.clientHeight < 80;
            }""",
            arg=at_least,
            timeout=WAIT_MS,
        )

    async def shot(self, name: str) -> None:
        await self.page.screenshot(path=ARTIFACTS / f"demo-{name}.png")


async def _journey(page) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(page)
    await page.locator('.visitor[data-visitor="consumer"]').wait_for(timeout=WAIT_MS)
    pseudonym = await _consumer_joins_and_takes_an_offer(chat)
    await _consumer_shares_a_location(chat)
    await _the_language_switch_reaches_the_member(chat)
    await _partner_sees_the_lead_and_answers_it(chat, pseudonym)
    await _partner_gets_photos(chat)
    await _marketer_surveys_the_consumer(chat)
    await _the_workspace_opens_inside_the_page(chat)


async def _consumer_joins_and_takes_an_offer(chat: Chat) -> str:
    page = chat.page
    await page.click("#attach")
    await page.click("#scan-qr")
    await page.locator(".qr-item", has_text="Кофейня «Зерно»").click()
    await chat.says("Согласие на обработку данных")
    await chat.shot("01-consent")
    await chat.press("Согласен")
    await chat.says("Ваша возрастная группа?")
    await chat.press("25–34")
    await chat.says("Ваш уровень дохода?")
    await chat.press("Средний")
    await chat.says("Ваш регион?")
    await chat.press("Пропустить")
    await chat.says("Профиль сохранён")

    await chat.type_in("/offers")
    await chat.says("Почему:")
    await chat.shot("02-offers")
    await chat.press("Интересно")
    await chat.says("Заявка отправлена партнёру")

    await chat.type_in("/wallet")
    # The partner's till reported the consumer's first two purchases after Accept.
    wallet = await chat.says("баллы за покупку")
    pseudonym = re.search(r"на кассе партнёра\): (\w+)", await wallet.inner_text())
    assert pseudonym is not None, await wallet.inner_text()
    await chat.shot("03-wallet")
    return pseudonym.group(1)


async def _consumer_shares_a_location(chat: Chat) -> None:
    page = chat.page
    await page.click("#attach")
    await page.click("#share-location")
    await page.locator("#modal-body svg.map .pin").first.wait_for()  # the map beside the list
    await chat.shot("04-location-chooser")
    await page.locator(".place-item", has_text="Зерно на Тверской").click()
    await chat.says("Предложения рядом с вами")
    await chat.says("До ближайшей точки")
    await chat.shot("05-nearby")


async def _the_language_switch_reaches_the_member(chat: Chat) -> None:
    # The bot keeps a member's language, and it wins over the client's.
    await chat.language("en")
    await chat.type_in("/help")
    await chat.says("Commands:")
    await chat.shot("06-english")
    await chat.language("ru")


async def _partner_sees_the_lead_and_answers_it(chat: Chat, pseudonym: str) -> None:
    await chat.become("partner")
    await chat.type_in("/leads")
    await chat.says(pseudonym)  # the partner sees the lead, by pseudonym only
    await chat.shot("07-partner-leads")
    await chat.press("Написать")
    await chat.says("Напишите одно сообщение участнику")
    await chat.type_in("Здравствуйте! Ждём вас, билет со скидкой.")
    await chat.says("Сообщение передано участнику")

    await chat.become("consumer")
    await chat.says("Ждём вас, билет со скидкой")
    await chat.press("Ответить")
    await chat.says("Напишите ответ одним сообщением")
    await chat.type_in("Спасибо, приду в субботу")
    await chat.says("Ответ передан партнёру")

    await chat.become("partner")
    await chat.says("Спасибо, приду в субботу")
    await chat.shot("08-partner-thread")


async def _partner_gets_photos(chat: Chat) -> None:
    await chat.type_in("/qr")
    await chat.says("QR-код компании")
    await chat.photos_shown_and_newest_in_view(1)
    await chat.type_in("/stats")
    await chat.says("ваши показатели")
    await chat.photos_shown_and_newest_in_view(len(PARTNERS) + 1)  # the QR codes, and a chart
    await chat.shot("09-partner-stats")


async def _marketer_surveys_the_consumer(chat: Chat) -> None:
    await chat.become("marketer")
    await chat.type_in("/survey")
    await chat.says("Как он называется?")
    await chat.type_in("Кофе")
    await chat.says("Какой вопрос добавить?")
    await chat.press("Оценка 1–5")
    await chat.says("Текст вопроса?")
    await chat.type_in("Как вам наш кофе?")
    await chat.says("Ещё один?")
    await chat.press("Дальше")
    await chat.says("Код компании")
    await chat.type_in("zerno")
    await chat.says("нажмите «Всем»")
    await chat.press("Всем")
    await chat.says("Сколько баллов начислить")
    await chat.type_in("10")
    await chat.says("Когда отправить?")
    await chat.press("Сейчас")
    await chat.says("Отправить?")
    await chat.press("Отправить")
    await chat.says("Опрос #1")

    await chat.become("consumer")
    await chat.says("Вопрос 1 из 1")
    await chat.press("5")
    await chat.says("Начислено 10 баллов")
    await chat.shot("10-survey-answered")

    await chat.become("marketer")
    await chat.type_in("/survey results 1")
    await chat.says("ответил 1 участник")
    document = chat.page.locator(".msg.bot .document", has_text="survey-1.csv").last
    await document.wait_for(timeout=WAIT_MS)
    href = await document.get_attribute("href")
    csv = await chat.page.request.get(urljoin(chat.page.url, href))
    rows = (await csv.text()).splitlines()
    assert csv.ok and rows[0].startswith("member,question,question_text,answer"), rows
    assert "Как вам наш кофе?,5," in rows[1], rows  # the consumer's answer, by pseudonym
    await chat.photos_shown_and_newest_in_view(1)  # the results chart
    await chat.shot("11-survey-results")


async def _the_workspace_opens_inside_the_page(chat: Chat) -> None:
    # The workspace Mini App opens inside the page, signed in by its init data.
    await chat.become("partner")
    await chat.type_in("/workspace")
    await chat.page.locator(".inline-button", has_text="Открыть рабочее место").last.click()
    app = chat.page.frame_locator("#modal-body iframe")
    await app.locator("main[data-ready]").wait_for(timeout=WAIT_MS)
    assert await app.locator("main").get_attribute("data-ready") != "error"
    assert "Кофейня «Зерно»" in await app.locator("#company").inner_text()
    await chat.shot("12-workspace")


async def _address(lines: list[str], demo: asyncio.Task) -> str:
    for _ in range(1200):  # the first run builds the network: up to a minute on 2 cores
        for line in lines:
            if found := re.search(r"open (http://127\.0\.0\.1:\d+)", line):
                return found.group(1)
        if demo.done():
            raise AssertionError(f"the demo stopped before it was ready: {demo.result()!r}")
        await asyncio.sleep(0.1)
    raise AssertionError("the demo printed no address:\n" + "\n".join(lines))


async def _ledger_problems(data_dir: Path) -> list[str]:
    engine = create_engine(f"sqlite+aiosqlite:///{data_dir / 'demo.sqlite3'}")
    try:
        return await check(create_sessionmaker(engine))
    finally:
        await engine.dispose()
