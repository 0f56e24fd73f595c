"""Admit each update once, and say who sent it: member, roles, language, texts.

A second delivery of an update_id is dropped silently (it sends nothing and
changes nothing); a handler that fails releases the claim so a redelivery
gets another try.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject, Update, User

from bot.texts import language_for, texts_for
from referral.gate import UpdateGate
from referral.updates import UpdateLog

log = logging.getLogger(__name__)
LANGUAGE_KEY = "language"  # FSM data key: a language chosen before consent


class AdmissionMiddleware(BaseMiddleware):
    def __init__(self, gate: UpdateGate, updates: UpdateLog) -> None:
        self.gate = gate
        self.updates = updates

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        bot: Bot = data["bot"]
        user: User | None = data.get("event_from_user")
        identity = await self.gate.admit(bot.id, event.update_id, user.id if user else None)
        if identity is None:
            log.info("update %s already handled; dropped", event.update_id)
            return None
        if identity.member is not None:
            # Pseudonym and company only: never the Telegram id or a name.
            log.debug(
                "update %s from member %s of company %s",
                event.update_id,
                identity.member.pseudonym,
                identity.member.company_id,
            )
        data["identity"] = identity
        data["member"] = identity.member
        data["roles"] = identity.roles
        data["texts"] = texts_for(await self._language(identity, user, data.get("state")))
        try:
            return await handler(event, data)
        except Exception:
            await self.updates.release(bot.id, event.update_id)
            raise

    @staticmethod
    async def _language(identity: Any, user: User | None, state: FSMContext | None) -> str:
        if identity.member is not None and identity.member.language:
            return identity.member.language
        chosen = (await state.get_data()).get(LANGUAGE_KEY) if state else None
        return chosen or language_for(user.language_code if user else None)
