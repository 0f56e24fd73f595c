"""/workspace, the button under /stats and the menu button, through the real
bot and the local Bot API server."""

from __future__ import annotations

import json
from pathlib import Path

from localapi import FakeUser, LocalBotAPI
from tests.e2e.harness import running_bot, test_settings

PUBLIC = "https://refbot.example"


def markup(call) -> list[dict]:  # type: ignore[no-untyped-def]
    raw = call.params.get("reply_markup") or {}
    raw = json.loads(raw) if isinstance(raw, str) else raw
    return [button for row in raw.get("inline_keyboard", []) for button in row]


async def test_workspace_opens_from_the_chat_and_a_browser_link_works_once(
    api: LocalBotAPI, sqlite_file: str, tmp_path: Path
) -> None:
    admin = FakeUser(2**35 + 1, "Cafe admin", language_code="en")
    consumer = FakeUser(2**35 + 2, "Someone", language_code="en")
    settings = test_settings(api, sqlite_file, tmp_path, public_url=PUBLIC)
    from refbot.services import build_services

    setup = build_services(settings)
    await setup.companies.add("Cafe", "cafe")
    await setup.roles.grant("partner", admin.id, "cafe")
    await setup.close()
    async with running_bot(api, settings) as refbot:
        menus = api.calls("setChatMenuButton")
        assert [c.params["chat_id"] for c in menus] == [admin.id]
        menu = menus[0].params["menu_button"]
        menu = json.loads(menu) if isinstance(menu, str) else menu
        assert menu["type"] == "web_app" and menu["web_app"]["url"] == f"{PUBLIC}/app/"

        (reply,) = await refbot.say(admin, "/workspace")
        opened, browser = markup(reply)
        assert opened["web_app"]["url"] == f"{PUBLIC}/app/"
        assert browser["url"].startswith(f"{PUBLIC}/app/#link=")
        token = browser["url"].split("#link=")[1]
        access = refbot.services.workspace_access
        session = await access.exchange(token)
        assert (await access.session_user(session))[0] == admin.id
        try:
            await access.exchange(token)
        except Exception as error:  # noqa: BLE001
            assert "already used" in str(error)
        else:
            raise AssertionError("a one-time link opened twice")

        _photo, words = await refbot.say(admin, "/stats", replies=2)
        assert [b["web_app"]["url"] for b in markup(words)] == [f"{PUBLIC}/app/"]

        (refused,) = await refbot.say(consumer, "/workspace")
        assert not markup(refused) or "web_app" not in markup(refused)[0]


async def test_the_weeks_insights_reach_the_partner_admin_once(
    api: LocalBotAPI, sqlite_file: str, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from bot.jobs.analytics import send_weekly_insights
    from referral.analytics.models import Snapshot

    admin = FakeUser(2**35 + 3, "Cafe admin", language_code="en")
    settings = test_settings(api, sqlite_file, tmp_path, public_url=PUBLIC)
    async with running_bot(api, settings) as refbot:
        services = refbot.services
        company = await services.companies.add("Cafe", "cafe")
        await services.roles.grant("partner", admin.id, "cafe")
        words = {"ru": "Средний чек упал на 12%", "en": "The average check fell 12%"}
        async with services.db.begin() as session:
            # The job's output, written as the snapshot job writes it.
            session.add(
                Snapshot(
                    company_id=company.id,
                    computed_at=datetime.now(UTC),
                    body=json.dumps({"insights": [{"words": words}]}),
                )
            )
        await refbot.wait_sent(admin, 0)
        monday = datetime(2026, 11, 30, 7, tzinfo=UTC)
        assert await send_weekly_insights(services, refbot.bot, monday) == 1
        (message,) = refbot.sent(admin)
        assert "<b>Cafe</b>" in message.params["text"]
        # Not a member, so no language of theirs is known: Russian, the first language.
        assert "Средний чек упал на 12%" in message.params["text"]
        assert markup(message)[0]["web_app"]["url"] == f"{PUBLIC}/app/"
        # A second run in the same week (another process, a restart) sends nothing.
        assert await send_weekly_insights(services, refbot.bot, monday) == 0
        assert len(refbot.sent(admin)) == 1
