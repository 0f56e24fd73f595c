"""/forget in a world where the person did everything refbot allows
(tests/forget_world.py): afterwards no column of any table, on SQLite and on
PostgreSQL, holds their Telegram id (which is also their private chat's id)
or their username. The scan reads the database's own table list, so a table
nobody registered on the metadata is read too.

New feature? Add what a person does with it to tests/forget_world.py; a new
column named like a Telegram id must be listed below with what /forget does.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

import referral.all_models  # noqa: F401  (every table on the metadata)
from bot.middlewares.throttling import ThrottlingMiddleware
from localapi import LocalBotAPI
from migrations.runner import upgrade_async
from referral.db import Base
from tests.e2e.harness import BotUnderTest, button, running_bot, test_settings
from tests.forget_world import EVE, build
from tests.services import create_pg_database, drop_pg_database

# Columns named like a Telegram id, and what /forget does with the person's value.
TELEGRAM_ID_COLUMNS = {
    ("members", "telegram_id"): "set to NULL, the pseudonymous row stays for the ledger",
    ("role_grants", "telegram_id"): "the person's grants are deleted",
    ("surveys", "progress_chat_id"): "a watched progress message is forgotten",
    ("workspace_tokens", "telegram_id"): "the person's workspace links and sessions are deleted",
    ("lead_threads", "partner_chat_id"): "a partner admin's chat is forgotten by their threads",
    ("processed_updates", "update_id"): "an update's id, not a person's",
    ("processed_updates", "bot_id"): "the bot's own id, not a person's",
}
TELEGRAM_ID = re.compile(r"(^|_)(telegram_id|chat_id|user_id|bot_id|update_id)$")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def world_bot(request, sqlite_file: str, tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    """The bot polling the local server on a fresh migrated database of either backend."""
    url = sqlite_file
    if request.param == "postgres":
        url = await create_pg_database()
        await upgrade_async(url)
    try:
        async with LocalBotAPI() as api:
            settings = test_settings(api, url, tmp_path, admin_ids="1")
            # Eve does a lifetime's worth in seconds: a bucket no person would fill.
            throttle = ThrottlingMiddleware(rate=100, burst=500)
            async with running_bot(api, settings, throttle=throttle) as running:
                yield running
    finally:
        if request.param == "postgres":
            await drop_pg_database(url)


async def traces(engine: AsyncEngine, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, value) of every value, in every table the database has,
    whose text contains one of ``needles`` (case-insensitive)."""
    wanted = [needle.lower() for needle in needles]
    found = []
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        assert set(Base.metadata.tables) <= set(tables)
        preparer = connection.dialect.identifier_preparer
        for table in tables:
            rows = await connection.execute(text(f"SELECT * FROM {preparer.quote(table)}"))
            for row in rows.mappings():
                for column, value in row.items():
                    shown = str(value).lower()
                    if any(needle in shown for needle in wanted):
                        found.append((table, column, str(value)[:80]))
    return found


async def test_forget_leaves_nothing_of_a_person_who_did_everything(world_bot):
    refbot = world_bot
    footprint = await build(refbot)
    assert footprint.missing() == [], f"the world did not make Eve do: {footprint.missing()}"
    needles = [str(EVE.id), EVE.username or ""]
    before = {(table, column) for table, column, _ in await traces(refbot.services.engine, needles)}
    assert {("members", "telegram_id"), ("surveys", "progress_chat_id")} <= before

    confirm = (await refbot.say(EVE, "/forget"))[0]
    done = (await refbot.press(EVE, confirm, button(confirm, "erase")))[0]
    assert "erased" in done.params["text"]

    left = await traces(refbot.services.engine, needles)
    assert left == [], f"/forget left Eve's id or username in (table, column, value): {left}"
    reply = (await refbot.say(EVE, "/privacy"))[0]
    assert "nothing" in reply.params["text"]


async def test_every_column_named_like_a_telegram_id_says_what_forget_does(sqlite_file):
    """A new table that keeps a Telegram id fails here until /forget handles it
    and the world exercises it."""
    from referral.db import create_engine

    engine = create_engine(sqlite_file)
    try:
        async with engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {
                    (table, column["name"])
                    for table in inspect(sync).get_table_names()
                    for column in inspect(sync).get_columns(table)
                    if TELEGRAM_ID.search(column["name"])
                }
            )
    finally:
        await engine.dispose()
    unlisted = sorted(columns - TELEGRAM_ID_COLUMNS.keys())
    assert unlisted == [], (
        f"{unlisted} hold Telegram ids: make MemberService.forget (referral/erasure.py) erase "
        "them, add the feature to tests/forget_world.py, then list them in TELEGRAM_ID_COLUMNS"
    )
