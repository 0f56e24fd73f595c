"""Long polling handles a backlog a bounded number of updates at a time, and loses none."""

from __future__ import annotations

import asyncio
import contextlib

from aiogram import Bot, Dispatcher
from aiogram.types import Message

from bot.runner import run_polling
from bot.session import build_session
from localapi import FakeUser, LocalBotAPI


async def test_a_backlog_is_handled_at_most_max_in_flight_at_a_time(api: LocalBotAPI):
    running, most, handled = 0, 0, []
    release = asyncio.Event()
    dp = Dispatcher()

    @dp.message()
    async def slow(message: Message) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await release.wait()
        handled.append(message.text)
        running -= 1

    for i in range(30):
        api.send_text(FakeUser(5000 + i, "U"), f"update {i}")
    bot = Bot("42:test-token", session=build_session(api.url))
    task = asyncio.create_task(run_polling(bot, dp, handle_signals=False, max_in_flight=4))
    try:
        while running < 4:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # long enough for an unbounded poll to start them all
        assert running == 4
        release.set()
        while len(handled) < 30:
            await asyncio.sleep(0.01)
    finally:
        with contextlib.suppress(RuntimeError):
            await dp.stop_polling()
        await asyncio.wait_for(task, 5)
        await bot.session.close()
    assert most == 4
    assert sorted(handled) == sorted(f"update {i}" for i in range(30))
