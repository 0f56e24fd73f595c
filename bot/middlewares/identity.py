"""Who is writing: the member (if consented), staff roles, language and texts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject, User

from bot.texts import language_for, texts_for
from referral.members import MemberService

LANGUAGE_KEY = "language"  # FSM data key: a chosen language before consent


class IdentityMiddleware(BaseMiddleware):
    def __init__(self, members: MemberService) -> None:
        self.members = members

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return await handler(event, data)
        identity = await self.members.identify(user.id)
        state: FSMContext | None = data.get("state")
        chosen = (await state.get_data()).get(LANGUAGE_KEY) if state else None
        member_language = identity.member.language if identity.member else None
        language = member_language or chosen or language_for(user.language_code)
        data["identity"] = identity
        data["member"] = identity.member
        data["roles"] = identity.roles
        data["texts"] = texts_for(language)
        return await handler(event, data)
