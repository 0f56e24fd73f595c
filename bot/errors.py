"""What happens when a handler fails, and how Telegram's 429 is waited out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import ErrorEvent

from bot.texts import language_for, texts_for
from referral.members import MemberService

log = logging.getLogger(__name__)


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Every Bot API call waits out a 429 (retry_after) and tries again, at most
    ``attempts`` calls in all; a wait longer than ``max_wait`` is not taken."""

    def __init__(
        self,
        attempts: int = 5,
        max_wait: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.attempts = attempts
        self.max_wait = max_wait
        self.sleep = sleep

    def _worth_waiting(self, error: BaseException) -> bool:
        return isinstance(error, TelegramRetryAfter) and error.retry_after <= self.max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        # A plain loop, not tenacity's AsyncRetrying: building that for every
        # call cost 17 us, about 4% of the bot's CPU in the /start, Accept,
        # /offers flow (bench/bench_session_calls.py), and nearly every call
        # succeeds the first time.
        made = 0
        while True:
            made += 1
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if made >= self.attempts or not self._worth_waiting(error):
                    raise
                wait = float(error.retry_after)
                log.warning("429 on %s; retrying in %ss", type(method).__name__, wait)
                await self.sleep(wait)


def error_handler(members: MemberService):  # type: ignore[no-untyped-def]
    async def on_error(event: ErrorEvent, bot: Bot, **_: Any) -> bool:
        update = event.update
        user = None
        for part in (update.message, update.callback_query, update.my_chat_member):
            if part is not None and part.from_user is not None:
                user = part.from_user
                break
        if isinstance(event.exception, TelegramForbiddenError):
            log.info("update %s: the user blocked the bot", update.update_id)
            if user is not None:
                await members.set_reachable(user.id, False)
            return True
        log.exception("update %s failed", update.update_id, exc_info=event.exception)
        if user is not None:
            try:
                await bot.send_message(
                    user.id, texts_for(language_for(user.language_code))("common.sorry")
                )
            except Exception:  # noqa: BLE001 - the apology is best effort
                log.warning("update %s: could not send the apology", update.update_id)
        return True

    return on_error
