"""Drop updates from a user who floods the bot, with one polite warning."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User


class ThrottlingMiddleware(BaseMiddleware):
    """A token bucket per user: ``burst`` updates at once, ``rate`` a second after.

    In memory, per process: flooding is a nuisance to absorb, not a security
    boundary, and a user's updates reach one process at a time in practice.
    """

    def __init__(self, rate: float = 2.0, burst: int = 8, max_users: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_users = max_users
        self._buckets: dict[int, tuple[float, float, bool]] = {}

    def allow(self, user_id: int, now: float | None = None) -> tuple[bool, bool]:
        """(allowed, warn): warn is True once per flood, on its first dropped update."""
        now = time.monotonic() if now is None else now
        tokens, seen, warned = self._buckets.get(user_id, (float(self.burst), now, False))
        tokens = min(float(self.burst), tokens + (now - seen) * self.rate)
        if tokens >= 1:
            self._remember(user_id, (tokens - 1, now, False))
            return True, False
        self._remember(user_id, (tokens, now, True))
        return False, not warned

    def _remember(self, user_id: int, bucket: tuple[float, float, bool]) -> None:
        if len(self._buckets) >= self.max_users and user_id not in self._buckets:
            self._buckets.clear()  # cheap bound on memory; a flood restarts its bucket
        self._buckets[user_id] = bucket

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        allowed, warn = self.allow(user.id)
        if allowed:
            return await handler(event, data)
        if warn:
            texts = data["texts"]
            if isinstance(event, Message | CallbackQuery):
                await event.answer(texts("common.slow_down"))
        return None
