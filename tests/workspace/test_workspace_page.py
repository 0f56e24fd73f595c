"""The page in Debian's headless chromium, opened the way Telegram opens a Mini
App: init data signed by the test bot token in the URL fragment. One browser
and one real uvicorn server on 127.0.0.1 for the whole module."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.services import required
from tests.workspace.conftest import ALPHA_ADMIN, MARKETER, World
from tests.workspace.initdata import THEME_DARK, launch_hash, sign
from web.app import build_http_app

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
# view -> how many charts it draws on the seeded world
CHARTS = {
    "overview": 2,
    "cohorts": 0,
    "structure": 2,
    "segments": 1,
    "churn": 0,
    "peers": 0,
    "insights": 0,
    "funnel": 1,
}


def _unavailable(reason: str) -> None:
    if required():
        pytest.fail(reason + " [REFBOT_REQUIRE_SERVICES=1]")
    pytest.skip(reason)


@pytest.fixture(scope="module")
async def base_url(world: World) -> AsyncIterator[str]:
    import uvicorn

    app = build_http_app(world.services)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[object]:
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("the playwright package is absent: pip install -e '.[test]'")
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        await launched.close()


async def open_page(browser, url: str, width: int = 390):  # type: ignore[no-untyped-def]
    page = await browser.new_page(viewport={"width": width, "height": 800})
    await page.goto(url)
    await page.wait_for_selector("main[data-ready]", timeout=15_000)
    return page


async def test_every_partner_view_renders_its_figures_and_charts(browser, base_url: str) -> None:
    url = f"{base_url}/app/#{launch_hash(sign(ALPHA_ADMIN, 'en'), THEME_DARK)}"
    page = await open_page(browser, url)
    assert await page.get_attribute("main", "data-ready") == "home"
    # Telegram's dark theme reaches the page through --tg-theme-* variables.
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(24, 34, 45)"
    assert await page.text_content("#title") == "Workspace"
    await page.screenshot(path=str(ARTIFACTS / "workspace-home.png"), full_page=True)
    for view, charts in CHARTS.items():
        await page.click(f"button[data-open={view}]")
        await page.wait_for_selector(f"main[data-ready={view}]", timeout=15_000)
        assert await page.is_hidden("#error"), await page.text_content("#error")
        assert await page.locator(f"section[data-view={view}]").count() == 1
        assert await page.locator(f"section[data-view={view}] .uplot canvas").count() >= charts, (
            view
        )
        await page.screenshot(path=str(ARTIFACTS / f"workspace-{view}.png"), full_page=True)
        await page.click("#back")
        await page.wait_for_selector("main[data-ready=home]")
    await page.click("button[data-open=overview]")
    await page.wait_for_selector("main[data-ready=overview]")
    revenue = await page.locator("section[data-view=overview] .figure .value").first.text_content()
    assert revenue and revenue != "—" and "₽" in revenue
    await page.click("#back")
    await page.click("button[data-open=cohorts]")
    await page.wait_for_selector("main[data-ready=cohorts]")
    assert await page.locator("section[data-view=cohorts] td.heat").count() > 0
    await page.close()


async def test_forged_and_expired_init_data_show_the_error(browser, base_url: str) -> None:
    import time

    for init_data in (
        sign(ALPHA_ADMIN, token="1:forged-token-of-another-bot"),
        sign(ALPHA_ADMIN, auth_date=time.time() - 7200),
    ):
        page = await open_page(browser, f"{base_url}/app/#{launch_hash(init_data)}")
        assert await page.get_attribute("main", "data-ready") == "error"
        assert await page.is_visible("#error")
        assert "401" in (await page.text_content("#error") or "")
        await page.close()
    page = await open_page(browser, f"{base_url}/app/")  # no init data, no link
    assert await page.get_attribute("main", "data-ready") == "error"
    await page.close()


async def test_a_partner_admin_page_never_shows_another_company(
    browser, base_url: str, world: World
) -> None:
    page = await open_page(browser, f"{base_url}/app/#{launch_hash(sign(ALPHA_ADMIN, 'ru'))}")
    options = await page.locator("#company option").all_text_contents()
    assert options == ["Alpha Cafe"]
    assert "Beta" not in (await page.content())
    status = await page.evaluate(
        """async (id) => (await fetch(`/app/api/companies/${id}/overview`,
              {headers: {Authorization: 'tma ' + Telegram.WebApp.initData}})).status""",
        world.beta,
    )
    assert status == 404
    await page.close()


async def test_marketer_views_in_russian(browser, base_url: str) -> None:
    page = await open_page(browser, f"{base_url}/app/#{launch_hash(sign(MARKETER, 'ru'))}")
    assert await page.text_content("#title") == "Рабочее место"
    assert await page.locator("button[data-open=overview]").count() == 0
    await page.click("button[data-open=m_segments]")
    await page.wait_for_selector("main[data-ready=m_segments]")
    assert (
        await page.locator("section[data-view=m_segments] .figure .value").first.text_content()
        == "12"
    )
    await page.screenshot(path=str(ARTIFACTS / "workspace-marketer.png"), full_page=True)
    await page.close()


async def test_a_one_time_link_opens_the_page_in_a_desktop_browser(
    browser, base_url: str, world: World
) -> None:
    link = await world.services.workspace_access.issue_link(ALPHA_ADMIN, "en")
    page = await open_page(browser, f"{base_url}/app/#link={link}", width=1280)
    assert await page.get_attribute("main", "data-ready") == "home"
    assert "link=" not in page.url  # the token leaves the address bar at once
    await page.click("button[data-open=overview]")
    await page.wait_for_selector("main[data-ready=overview]")
    await page.screenshot(path=str(ARTIFACTS / "workspace-desktop.png"), full_page=True)
    await page.close()
