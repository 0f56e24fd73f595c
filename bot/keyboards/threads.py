"""Buttons under a partner's message in the member's chat: Reply, and Stop
(this partner writes no more). The callback carries the thread id only; the
server checks it is the presser's own thread."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.texts import Texts

REPLY, STOP = "r", "s"


class ThreadAction(CallbackData, prefix="th"):
    action: str  # REPLY or STOP
    thread_id: int


def member_keyboard(texts: Texts, thread_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts("leads.reply"), callback_data=ThreadAction(action=REPLY, thread_id=thread_id)
    )
    builder.button(
        text=texts("leads.stop"), callback_data=ThreadAction(action=STOP, thread_id=thread_id)
    )
    builder.adjust(2)
    return builder.as_markup()
