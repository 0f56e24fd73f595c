"""Act once per update_id, even when Telegram delivers an update twice."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update

from referral.updates import UpdateLog

log = logging.getLogger(__name__)


class DedupeMiddleware(BaseMiddleware):
    """Claims the update id in the database before handling it.

    A failed handler releases its claim, so a redelivery gets another try;
    a duplicate is dropped silently (it sends nothing, changes nothing).
    """

    def __init__(self, updates: UpdateLog) -> None:
        self.updates = updates

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        bot: Bot = data["bot"]
        if not await self.updates.claim(bot.id, event.update_id):
            log.info("update %s already handled; dropped", event.update_id)
            return None
        try:
            return await handler(event, data)
        except Exception:
            await self.updates.release(bot.id, event.update_id)
            raise
