"""Offer buttons. The callback carries only the shown offer's id; the server
re-checks that it belongs to the presser and is still open."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.texts import Texts

ACCEPT, DECLINE = "a", "d"


class OfferAction(CallbackData, prefix="of"):
    action: str  # ACCEPT or DECLINE
    offer_id: int


def offer_keyboard(texts: Texts, offer_id: int) -> InlineKeyboardMarkup:
    # One row of two, built directly: InlineKeyboardBuilder deep-copies its
    # buttons on export, and every offer message has a keyboard of its own
    # (timeit: 74 us a keyboard with the builder, 22 us without).
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=texts("offers.accept"),
                    callback_data=OfferAction(action=ACCEPT, offer_id=offer_id).pack(),
                ),
                InlineKeyboardButton(
                    text=texts("offers.decline"),
                    callback_data=OfferAction(action=DECLINE, offer_id=offer_id).pack(),
                ),
            ]
        ]
    )
