"""Wallet, voucher and review buttons; every press is re-checked by the domain."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.texts import Texts
from referral.ledger.reviews import Reviewable
from referral.ledger.vouchers import Offer


class SpendAt(CallbackData, prefix="ws"):
    company_id: int


class BuyVoucher(CallbackData, prefix="wv"):
    service_id: int


class ReviewPick(CallbackData, prefix="rp"):
    purchase_id: int


class ReviewRate(CallbackData, prefix="rr"):
    purchase_id: int
    stars: int


def spend_keyboard(texts: Texts, companies: list[tuple[int, str]]) -> InlineKeyboardMarkup | None:
    if not companies:
        return None
    builder = InlineKeyboardBuilder()
    for company_id, name in companies:
        builder.button(
            text=texts("wallet.spend_at", company=name),
            callback_data=SpendAt(company_id=company_id),
        )
    builder.adjust(1)
    return builder.as_markup()


def offers_keyboard(texts: Texts, offers: list[Offer]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for offer in offers:
        builder.button(
            text=texts("wallet.offer", name=offer.name, points=offer.points),
            callback_data=BuyVoucher(service_id=offer.service_id),
        )
    builder.adjust(1)
    return builder.as_markup()


def reviewable_keyboard(items: list[Reviewable]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for item in items:
        builder.button(
            text=f"{item.service} · {item.company}",
            callback_data=ReviewPick(purchase_id=item.purchase_id),
        )
    builder.adjust(1)
    return builder.as_markup()


def stars_keyboard(purchase_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for stars in range(1, 6):
        builder.button(
            text="★" * stars, callback_data=ReviewRate(purchase_id=purchase_id, stars=stars)
        )
    builder.adjust(5)
    return builder.as_markup()


def phone_keyboard(texts: Texts) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=texts("invite.share_phone"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
