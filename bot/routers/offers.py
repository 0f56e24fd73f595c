"""/offers, the answers to an offer, location ranking (partners' /leads: routers/leads.py)."""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.filters import IsMember
from bot.keyboards.offers import ACCEPT, DECLINE, OfferAction
from bot.messages.offers import send_offers
from bot.texts import Texts
from referral.members import Identity
from referral.offers.service import OfferGone, OfferService


async def show_offers(
    message: Message, bot: Bot, identity: Identity, texts: Texts, offers: OfferService
) -> None:
    views = await offers.offers_for(identity.member.id)
    header = texts("offers.header") + "\n" + texts("offers.share_location")
    await send_offers(bot, message.chat.id, texts, views, header)


async def nearby(
    message: Message, bot: Bot, identity: Identity, texts: Texts, offers: OfferService
) -> None:
    views = await offers.rerank_by_location(
        identity.member.id, message.location.latitude, message.location.longitude
    )
    await send_offers(bot, message.chat.id, texts, views, texts("offers.header_nearby"))


async def answer(
    query: CallbackQuery,
    callback_data: OfferAction,
    identity: Identity,
    texts: Texts,
    offers: OfferService,
) -> None:
    try:
        if callback_data.action == ACCEPT:
            await offers.accept(callback_data.offer_id, identity.member.id)
        else:
            await offers.decline(callback_data.offer_id, identity.member.id)
    except OfferGone:
        # Forged, another member's, or already answered: nothing changes.
        await query.answer(texts("common.stale_button"), show_alert=True)
        return
    await query.answer()
    if query.message is not None:
        key = "offers.accepted" if callback_data.action == ACCEPT else "offers.declined"
        with suppress(TelegramBadRequest):  # the message may be too old to edit
            await query.message.edit_text(
                texts(key, item=query.message.html_text), reply_markup=None
            )


def router() -> Router:
    """A fresh router, so every Dispatcher (tests, restarts) gets its own."""
    r = Router(name="offers")
    r.message.register(show_offers, Command("offers"), IsMember())
    r.message.register(nearby, F.location, IsMember())
    r.callback_query.register(
        answer, OfferAction.filter(F.action.in_({ACCEPT, DECLINE})), IsMember()
    )
    return r
