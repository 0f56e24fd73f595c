"""The real bot (build_dispatcher + long polling) against the local Bot API server.

Tests act as Telegram users through the server and assert on what reached it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher

from bot.app import build_bot, build_dispatcher
from bot.runner import run_polling
from localapi import Call, FakeUser, LocalBotAPI
from refbot.services import Services, build_services
from refbot.settings import Settings

LINK_SECRET = "e2e-link-secret"


def test_settings(
    api: LocalBotAPI, database_url: str, data_dir: Path, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "bot_token": api.token,
        "telegram_api_url": api.url,
        "database_url": database_url,
        "data_dir": data_dir,
        "link_secret": LINK_SECRET,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def buttons(call: Call) -> list[tuple[str, str]]:
    """(text, callback_data) of every inline button of a sent message."""
    return call.buttons()


def button(call: Call, text_part: str) -> str:
    for text, data in buttons(call):
        if text_part.lower() in text.lower():
            return data
    raise AssertionError(f"no button with {text_part!r} in {buttons(call)}")


@dataclass
class BotUnderTest:
    api: LocalBotAPI
    settings: Settings
    services: Services
    bot: Bot
    dp: Dispatcher
    task: asyncio.Task[None]

    def sent(self, user: FakeUser | int) -> list[Call]:
        chat = user if isinstance(user, int) else user.id
        return self.api.sent_to(chat)

    async def wait_sent(self, user: FakeUser | int, count: int, timeout: float = 5.0) -> list[Call]:
        """Wait until ``count`` send/edit calls reached the chat in all; return them."""
        deadline = time.monotonic() + timeout
        while len(self.sent(user)) < count:
            if time.monotonic() > deadline:
                seen = "\n".join(c.summary() for c in self.sent(user))
                raise AssertionError(f"expected {count} calls to chat, saw:\n{seen}")
            await asyncio.sleep(0.01)
        return self.sent(user)

    async def say(self, user: FakeUser, text: str, replies: int = 1) -> list[Call]:
        """The user sends text; returns the bot's ``replies`` new calls to the chat."""
        before = len(self.sent(user))
        self.api.send_text(user, text)
        return (await self.wait_sent(user, before + replies))[before:]

    async def press(self, user: FakeUser, message: Call, data: str, replies: int = 1) -> list[Call]:
        before = len(self.sent(user))
        self.api.press_button(user, message, data)
        return (await self.wait_sent(user, before + replies))[before:]

    async def settle(self, user: FakeUser) -> None:
        """Let in-flight updates finish: a /help round trip from the same user."""
        before = len(self.sent(user))
        self.api.send_text(user, "/help")
        await self.wait_sent(user, before + 1)
        await asyncio.sleep(0.05)

    async def join(self, user: FakeUser, payload: str) -> Call:
        """/start with a payload, Accept, skip the profile; returns the last call."""
        consent = (await self.say(user, f"/start {payload}"))[0]
        replies = await self.press(
            user, consent, button(consent, "Соглас" if user.language_code == "ru" else "agree")
        )
        question = replies[-1]
        for _ in range(3):
            edited = await self.press(user, question, buttons(question)[-1][1])
            question = edited[-1]
        return question


async def start_bot(api: LocalBotAPI, settings: Settings, **dispatcher_kwargs: Any) -> BotUnderTest:
    services = build_services(settings)
    bot = build_bot(settings)
    dp = build_dispatcher(services, **dispatcher_kwargs)
    task = asyncio.create_task(run_polling(bot, dp, handle_signals=False))
    await asyncio.wait_for(_until(lambda: "bot_username" in dp.workflow_data), 10)
    return BotUnderTest(api, settings, services, bot, dp, task)


async def _until(probe: Callable[[], object]) -> None:
    while not probe():
        await asyncio.sleep(0.01)


async def stop_bot(running: BotUnderTest) -> None:
    with contextlib.suppress(RuntimeError):
        await running.dp.stop_polling()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(running.task, 10)
    await running.bot.session.close()
    await running.services.close()


@contextlib.asynccontextmanager
async def running_bot(
    api: LocalBotAPI, settings: Settings, **kwargs: Any
) -> AsyncIterator[BotUnderTest]:
    running = await start_bot(api, settings, **kwargs)
    try:
        yield running
    finally:
        await stop_bot(running)
