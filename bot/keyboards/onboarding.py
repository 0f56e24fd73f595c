"""Consent, profile, language and erasure buttons."""

from __future__ import annotations

from functools import lru_cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.texts import LANGUAGES, Texts
from referral.members import PROFILE_CHOICES, PROFILE_FIELDS

SKIP = "-"


class ConsentAction(CallbackData, prefix="cs"):
    action: str  # "ok" or "no"
    payload: str  # the signed deep-link payload, re-verified on press


class ProfileAnswer(CallbackData, prefix="pf"):
    field: str
    value: str  # a choice, or SKIP


class LanguageChoice(CallbackData, prefix="lg"):
    language: str


class ForgetAction(CallbackData, prefix="fg"):
    action: str  # "yes" or "no"


@lru_cache(maxsize=256)
def consent_keyboard(texts: Texts, payload: str) -> InlineKeyboardMarkup:
    """Cached like profile_keyboard: one company's QR code brings many people
    with the same payload."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts("onboarding.accept"), callback_data=ConsentAction(action="ok", payload=payload)
    )
    builder.button(
        text=texts("onboarding.decline"), callback_data=ConsentAction(action="no", payload=payload)
    )
    builder.adjust(2)
    return builder.as_markup()


@lru_cache(maxsize=32)
def profile_keyboard(texts: Texts, field: str) -> InlineKeyboardMarkup:
    """The same few keyboards for everyone, built once: packing callback data
    and validating a 9-button markup costs more than the database work of a press."""
    builder = InlineKeyboardBuilder()
    for value in PROFILE_CHOICES[field]:
        builder.button(
            text=texts(f"profile.{field}.{value}"),
            callback_data=ProfileAnswer(field=field, value=value),
        )
    builder.button(text=texts("profile.skip"), callback_data=ProfileAnswer(field=field, value=SKIP))
    builder.adjust(3)
    return builder.as_markup()


def next_profile_field(field: str) -> str | None:
    index = PROFILE_FIELDS.index(field)
    return PROFILE_FIELDS[index + 1] if index + 1 < len(PROFILE_FIELDS) else None


@lru_cache(maxsize=1)
def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    labels = {"ru": "Русский", "en": "English"}
    for language in LANGUAGES:
        builder.button(text=labels[language], callback_data=LanguageChoice(language=language))
    return builder.as_markup()


def forget_keyboard(texts: Texts) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts("privacy.forget_yes"), callback_data=ForgetAction(action="yes"))
    builder.button(text=texts("privacy.forget_no"), callback_data=ForgetAction(action="no"))
    return builder.as_markup()
