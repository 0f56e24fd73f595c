"""/privacy shows what is stored; /forget withdraws consent and erases the person."""

from __future__ import annotations

from contextlib import suppress

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.keyboards.onboarding import ForgetAction, forget_keyboard
from bot.texts import Texts
from referral.members import MemberService


async def privacy(message: Message, texts: Texts, members: MemberService) -> None:
    report = await members.privacy(message.from_user.id)
    if report.member is None:
        await message.answer(texts("privacy.nothing"))
        return
    member = report.member
    none = texts("privacy.not_given")
    await message.answer(
        texts(
            "privacy.report",
            pseudonym=member.pseudonym,
            company=report.company.name if report.company else none,
            version=report.consent.version if report.consent else none,
            accepted=report.consent.accepted_at.strftime("%Y-%m-%d %H:%M UTC")
            if report.consent
            else none,
            age=texts(f"profile.age_band.{member.age_band}") if member.age_band else none,
            income=texts(f"profile.income_band.{member.income_band}")
            if member.income_band
            else none,
            region=texts(f"profile.region.{member.region}") if member.region else none,
            language=member.language or none,
        )
    )


async def forget(message: Message, texts: Texts) -> None:
    await message.answer(texts("privacy.forget_confirm"), reply_markup=forget_keyboard(texts))


async def forget_confirmed(
    query: CallbackQuery, texts: Texts, members: MemberService, state: FSMContext
) -> None:
    erased = await members.forget(query.from_user.id)
    await state.clear()  # the FSM storage (memory or Redis) is keyed by the Telegram id
    await query.answer()
    with suppress(TelegramBadRequest):
        await query.message.edit_text(texts("privacy.forgotten" if erased else "privacy.nothing"))


async def forget_cancelled(query: CallbackQuery, texts: Texts) -> None:
    await query.answer()
    with suppress(TelegramBadRequest):
        await query.message.edit_text(texts("privacy.kept"))


def router() -> Router:
    """A fresh router, so every Dispatcher (tests, restarts) gets its own."""
    r = Router(name="privacy")
    r.message.register(privacy, Command("privacy"))
    r.message.register(forget, Command("forget"))
    r.callback_query.register(forget_confirmed, ForgetAction.filter(F.action == "yes"))
    r.callback_query.register(forget_cancelled, ForgetAction.filter(F.action == "no"))
    return r
