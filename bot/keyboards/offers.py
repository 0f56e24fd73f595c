"""Offer buttons. The callback carries only the shown offer's id; the server
re-checks that it belongs to the presser and is still open."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.texts import Texts

ACCEPT, DECLINE = "a", "d"


class OfferAction(CallbackData, prefix="of"):
    action: str  # ACCEPT or DECLINE
    offer_id: int


def offer_keyboard(texts: Texts, offer_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts("offers.accept"), callback_data=OfferAction(action=ACCEPT, offer_id=offer_id)
    )
    builder.button(
        text=texts("offers.decline"), callback_data=OfferAction(action=DECLINE, offer_id=offer_id)
    )
    builder.adjust(2)
    return builder.as_markup()
