"""Fixtures for end-to-end tests: the local Bot API server and the running bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.middlewares.throttling import ThrottlingMiddleware
from localapi import LocalBotAPI
from tests.e2e.harness import BotUnderTest, running_bot, test_settings


@pytest.fixture
async def api() -> AsyncIterator[LocalBotAPI]:
    async with LocalBotAPI() as server:
        yield server


@pytest.fixture
async def refbot(api: LocalBotAPI, sqlite_file: str, tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    """The bot polling the local server, on a fresh migrated SQLite file."""
    settings = test_settings(api, sqlite_file, tmp_path, admin_ids="1")
    # Tests act faster than people; a roomier bucket keeps the flood test meaningful
    # without tripping ordinary scripted journeys.
    async with running_bot(
        api, settings, throttle=ThrottlingMiddleware(rate=5, burst=20)
    ) as running:
        yield running
