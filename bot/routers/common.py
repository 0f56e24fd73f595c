"""/help and /language: open to everyone, member or not."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.commands import commands_for
from bot.keyboards.onboarding import LanguageChoice, language_keyboard
from bot.middlewares.admission import LANGUAGE_KEY
from bot.texts import LANGUAGES, Texts, texts_for
from referral.members import Identity, MemberService


async def help_(message: Message, identity: Identity, texts: Texts) -> None:
    lines = [f"/{c} — {texts(f'commands.{c}')}" for c in commands_for(identity.roles)]
    header = texts("common.help_member" if identity.member else "common.help_guest")
    await message.answer(header + "\n\n" + "\n".join(lines))


async def language(message: Message, texts: Texts) -> None:
    await message.answer(texts("common.choose_language"), reply_markup=language_keyboard())


async def language_chosen(
    query: CallbackQuery,
    callback_data: LanguageChoice,
    identity: Identity,
    members: MemberService,
    state: FSMContext,
) -> None:
    if callback_data.language not in LANGUAGES:
        await query.answer()
        return
    if identity.member is not None:
        await members.set_language(identity.telegram_id, callback_data.language)
    else:
        # Before consent nothing goes to the database; the choice lives in FSM storage.
        await state.update_data({LANGUAGE_KEY: callback_data.language})
    texts = texts_for(callback_data.language)
    await query.answer()
    await query.message.answer(texts("common.language_set"))


def router() -> Router:
    """A fresh router, so every Dispatcher (tests, restarts) gets its own."""
    r = Router(name="common")
    r.message.register(help_, Command("help"))
    r.message.register(language, Command("language"))
    r.callback_query.register(language_chosen, LanguageChoice.filter())
    return r
