"""/start with a company or invite link, consent, and the optional profile."""

from __future__ import annotations

from contextlib import suppress

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from bot.filters import IsMember
from bot.keyboards.onboarding import (
    SKIP,
    ConsentAction,
    ProfileAnswer,
    consent_keyboard,
    next_profile_field,
    profile_keyboard,
)
from bot.texts import Texts
from referral import links
from referral.companies import CompanyService
from referral.consent import CONSENT_VERSION
from referral.errors import InvalidLink, UnknownCompany
from referral.members import PROFILE_FIELDS, Identity, InvalidProfileValue, MemberService


async def start_with_link(
    message: Message,
    command: CommandObject,
    identity: Identity,
    texts: Texts,
    members: MemberService,
    companies: CompanyService,
    link_key: bytes,
) -> None:
    try:
        target = links.parse(command.args or "", link_key)
    except InvalidLink:
        await message.answer(texts("onboarding.invalid_link"))
        return
    if identity.member is not None:
        await members.set_reachable(identity.telegram_id, True)
        await message.answer(texts("onboarding.welcome_back"))
        return
    try:
        await companies.get(target.company_code)
    except UnknownCompany:
        await message.answer(texts("onboarding.invalid_link"))
        return
    await message.answer(
        texts("onboarding.consent", version=CONSENT_VERSION),
        reply_markup=consent_keyboard(texts, command.args or ""),
    )


async def start_plain(
    message: Message, identity: Identity, texts: Texts, members: MemberService
) -> None:
    if identity.member is not None:
        await members.set_reachable(identity.telegram_id, True)
        await message.answer(texts("onboarding.welcome_back"))
    else:
        await message.answer(texts("onboarding.scan_qr"))


async def accept(
    query: CallbackQuery,
    callback_data: ConsentAction,
    texts: Texts,
    members: MemberService,
    link_key: bytes,
) -> None:
    try:
        target = links.parse(callback_data.payload, link_key)
        _, created = await members.accept_consent(query.from_user.id, target, texts.language)
    except (InvalidLink, UnknownCompany):
        await query.answer(texts("common.stale_button"), show_alert=True)
        return
    await query.answer()
    if not created:
        return  # a repeated press: the first one already moved the chat on
    # The consent message turns into the first profile question: one edit,
    # not an edit and a new message, and the questions then replace each
    # other in that same message.
    first = PROFILE_FIELDS[0]
    await _edit(
        query,
        f"{texts('onboarding.accepted')}\n\n{texts(f'profile.ask.{first}')}",
        profile_keyboard(texts, first),
    )


async def decline(query: CallbackQuery, texts: Texts) -> None:
    await query.answer()
    await _edit(query, texts("onboarding.declined"))


async def profile_answer(
    query: CallbackQuery,
    callback_data: ProfileAnswer,
    identity: Identity,
    texts: Texts,
    members: MemberService,
) -> None:
    value = None if callback_data.value == SKIP else callback_data.value
    try:
        await members.set_profile(identity.member.id, callback_data.field, value)
    except InvalidProfileValue:
        await query.answer(texts("common.stale_button"), show_alert=True)
        return
    await query.answer()
    following = next_profile_field(callback_data.field)
    # The questions replace each other in one message, so a repeated press
    # edits nothing new and never sends a question twice.
    if following is None:
        await _edit(query, texts("profile.done"))
    else:
        await _edit(query, texts(f"profile.ask.{following}"), profile_keyboard(texts, following))


async def _edit(query: CallbackQuery, text: str, markup=None) -> None:  # type: ignore[no-untyped-def]
    if query.message is None:
        return
    with suppress(TelegramBadRequest):  # "message is not modified" on a repeated press
        await query.message.edit_text(text, reply_markup=markup)


def router() -> Router:
    """A fresh router, so every Dispatcher (tests, restarts) gets its own."""
    r = Router(name="onboarding")
    r.message.register(start_with_link, CommandStart(deep_link=True))
    r.message.register(start_plain, CommandStart())
    r.callback_query.register(accept, ConsentAction.filter(F.action == "ok"))
    r.callback_query.register(decline, ConsentAction.filter(F.action == "no"))
    r.callback_query.register(profile_answer, ProfileAnswer.filter(), IsMember())
    return r
