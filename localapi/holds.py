"""Held answers: a call is carried out and recorded, but its answer waits.

This is Telegram's crash window made wide on purpose: the message is in the chat,
while the bot has not heard so. A test switches it on, kills the bot while answers
are held, and checks that nothing is sent twice after the restart.
"""

from __future__ import annotations

import asyncio
import contextlib


class Holds:
    def __init__(self) -> None:
        self.method: str | None = None
        self.seconds = 0.0
        self._released = asyncio.Event()
        self._waiting: list[int | None] = []

    def hold(self, method: str, seconds: float) -> None:
        """From now on, answers to ``method`` wait up to ``seconds`` or until release()."""
        self.method, self.seconds = method, seconds
        self._released = asyncio.Event()

    def release(self) -> None:
        """Answer every held call now and hold no more."""
        self.method = None
        self._released.set()

    def held(self) -> list[int | None]:
        """Chats of the calls whose answers are waiting now."""
        return list(self._waiting)

    async def wait(self, method: str, chat_id: int | None) -> None:
        if method != self.method:
            return
        released = self._released  # a later hold() must not strand this call
        self._waiting.append(chat_id)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(released.wait(), self.seconds)
        finally:
            self._waiting.remove(chat_id)
