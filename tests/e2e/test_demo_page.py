"""`refbot demo` in Debian's headless chromium: a newcomer scans a partner's QR
code on the chat page, accepts, takes an offer, checks the wallet, and sees the
lead as the partner admin, then opens the workspace Mini App inside the page.
The page, the bot, refbot's HTTP server and the local Bot API server are the
real ones; only the network is smaller than the CLI's."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import aiohttp
import pytest

from bot.demo.live import serve_demo
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


async def _journey(page) -> None:  # type: ignore[no-untyped-def]
    bot = page.locator(".msg.bot")

    async def bot_says(text: str):  # type: ignore[no-untyped-def]
        found = bot.filter(has_text=text).last
        await found.wait_for(timeout=WAIT_MS)
        return found

    async def press(label: str) -> None:
        exact = re.compile(f"^{re.escape(label)}$")  # "Согласен" is inside "Не согласен"
        await page.locator(".inline-button", has_text=exact).last.click()

    async def type_in(text: str) -> None:
        await page.fill("#composer-input", text)
        await page.click("#send")

    await page.locator('.visitor[data-visitor="consumer"]').wait_for(timeout=WAIT_MS)
    await page.click("#attach")
    await page.click("#scan-qr")
    await page.locator(".qr-item", has_text="Кофейня «Зерно»").click()
    await bot_says("Согласие на обработку данных")
    await page.screenshot(path=ARTIFACTS / "demo-1-consent.png")
    await press("Согласен")
    await bot_says("Ваша возрастная группа?")
    await press("25–34")
    await bot_says("Ваш уровень дохода?")
    await press("Средний")
    await bot_says("Ваш регион?")
    await press("Пропустить")
    await bot_says("Профиль сохранён")

    await type_in("/offers")
    await bot_says("Почему:")
    await page.screenshot(path=ARTIFACTS / "demo-2-offers.png")
    await press("Интересно")
    await bot_says("Заявка отправлена партнёру")

    await type_in("/wallet")
    # The partner's till reported the consumer's first two purchases after Accept.
    wallet = await bot_says("баллы за покупку")
    pseudonym = re.search(r"на кассе партнёра\): (\w+)", await wallet.inner_text())
    assert pseudonym is not None, await wallet.inner_text()
    await page.screenshot(path=ARTIFACTS / "demo-3-wallet.png")

    # The page's language switch reaches a member who joined in Russian (the
    # bot keeps a member's language, and it wins over the client's).
    await page.click('#languages button[data-language="en"]')
    await page.locator('#languages button[data-language="en"].active').wait_for(timeout=WAIT_MS)
    await type_in("/help")
    await bot_says("Commands:")
    await page.screenshot(path=ARTIFACTS / "demo-3-english.png")
    await page.click('#languages button[data-language="ru"]')
    await page.locator('#languages button[data-language="ru"].active').wait_for(timeout=WAIT_MS)

    await page.click('.visitor[data-visitor="partner"]')
    await type_in("/leads")
    await bot_says(pseudonym.group(1))  # the partner sees the lead, by pseudonym only
    await page.screenshot(path=ARTIFACTS / "demo-4-partner-leads.png")

    # The workspace Mini App opens inside the page, signed in by its init data.
    await type_in("/workspace")
    await page.locator(".inline-button", has_text="Открыть рабочее место").last.click()
    app = page.frame_locator("#modal-body iframe")
    await app.locator("main[data-ready]").wait_for(timeout=WAIT_MS)
    assert await app.locator("main").get_attribute("data-ready") != "error"
    assert "Кофейня «Зерно»" in await app.locator("#company").inner_text()
    await page.screenshot(path=ARTIFACTS / "demo-5-workspace.png")


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
