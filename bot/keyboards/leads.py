"""Buttons under a lead in /leads: Won, Lost, Write. The callback carries only
the lead id; the server re-checks that the presser is a partner admin of the
lead's company and that it is still open."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.texts import Texts

WON, LOST, WRITE = "w", "l", "m"


class LeadAction(CallbackData, prefix="ld"):
    action: str  # WON, LOST or WRITE
    lead_id: int


def lead_keyboard(texts: Texts, lead_id: int, open_lead: bool = True) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if open_lead:
        builder.button(
            text=texts("leads.won"), callback_data=LeadAction(action=WON, lead_id=lead_id)
        )
        builder.button(
            text=texts("leads.lost"), callback_data=LeadAction(action=LOST, lead_id=lead_id)
        )
    builder.button(
        text=texts("leads.write"), callback_data=LeadAction(action=WRITE, lead_id=lead_id)
    )
    builder.adjust(3)
    return builder.as_markup()
