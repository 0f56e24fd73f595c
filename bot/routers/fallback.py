"""Included last: whatever no other router took."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.commands import MARKETER, PARTNER
from bot.texts import Texts
from referral.members import Identity


async def anything_else(message: Message, identity: Identity, texts: Texts) -> None:
    command = (
        (message.text or "").split(maxsplit=1)[0].lstrip("/").split("@")[0]
        if (message.text or "").startswith("/")
        else ""
    )
    if command in PARTNER + MARKETER:
        # Role-only routers filter on the role; anyone else ends up here.
        await message.answer(texts("common.not_allowed"))
    elif identity.member is None and not identity.roles.any:
        await message.answer(texts("common.consent_first"))
    else:
        await message.answer(texts("common.unknown"))


async def unknown_button(query: CallbackQuery, identity: Identity, texts: Texts) -> None:
    # Forged, stale or another user's buttons land here and change nothing.
    key = "common.consent_first" if identity.member is None else "common.stale_button"
    await query.answer(texts(key), show_alert=True)


def router() -> Router:
    """A fresh router, so every Dispatcher (tests, restarts) gets its own."""
    r = Router(name="fallback")
    r.message.register(anything_else)
    r.callback_query.register(unknown_button)
    return r
