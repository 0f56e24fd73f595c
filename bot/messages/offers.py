"""How offers read in the chat; shared by /offers, the location handler and the
retention job. Partner-provided names are HTML-escaped."""

from __future__ import annotations

from html import escape

from aiogram import Bot

from bot.keyboards.offers import offer_keyboard
from bot.messages.rules import percent
from bot.texts import Texts
from referral.offers.views import OfferView


def money(minor: int) -> str:
    return f"{minor // 100}" if minor % 100 == 0 else f"{minor / 100:.2f}"


def offer_text(texts: Texts, view: OfferView) -> str:
    if view.discount_percent:
        price = texts(
            "offers.price_discount",
            list=money(view.list_minor),
            price=money(view.price_minor),
            percent=view.discount_percent,
        )
    else:
        price = texts("offers.price", price=money(view.price_minor))
    lines = [
        texts(
            "offers.item", service=escape(view.service), company=escape(view.company), price=price
        )
    ]
    if view.cashback_bp:
        lines.append(texts("offers.cashback", percent=f"{view.cashback_bp / 100:g}"))
    lines += incentive_lines(texts, view)
    if view.bundle is not None:
        b = view.bundle
        lines.append(
            texts(
                "offers.bundle",
                name=escape(b.name),
                services=", ".join(escape(s) for s in b.services),
                price=money(b.price_minor),
                list=money(b.list_minor),
            )
        )
    if view.distance_km is not None:
        lines.append(texts("offers.distance", km=f"{view.distance_km:.1f}"))
    lines.append(texts(f"offers.reason_{view.reason}", related=escape(view.related or "")))
    return "\n".join(lines)


def incentive_lines(texts: Texts, view: OfferView) -> list[str]:
    """The upsell in the member's own terms, and the spend-drop cashback."""
    lines = []
    upsell_bp = view.extra_cashback_bp - view.spend_drop_bp
    if view.usual is not None:
        lines.append(
            texts(
                "offers.upsell" if upsell_bp else "offers.upsell_same",
                usual=escape(view.usual),
                usual_price=money(view.usual_minor or 0),
                service=escape(view.service),
                price=money(view.price_minor - view.price_minor * upsell_bp // 10_000),
                percent=percent(upsell_bp),
            )
        )
    if view.spend_drop_bp:
        lines.append(texts("offers.spend_drop", percent=percent(view.spend_drop_bp)))
    return lines


async def send_offers(
    bot: Bot, chat_id: int, texts: Texts, views: list[OfferView], header: str
) -> None:
    """A header, then one message per offer with its own Accept / Not interested buttons."""
    if not views:
        await bot.send_message(chat_id, texts("offers.none"))
        return
    await bot.send_message(chat_id, header)
    for view in views:
        await bot.send_message(
            chat_id, offer_text(texts, view), reply_markup=offer_keyboard(texts, view.offer_id)
        )
