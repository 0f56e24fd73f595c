"""Talking through the bot: a partner admin presses Write under a lead and
sends one message; the member gets it under the partner's name and may Reply
(one message back) or Stop that partner. Neither sees the other's Telegram id."""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.filters import HasRole, IsMember
from bot.keyboards.leads import WRITE, LeadAction
from bot.keyboards.threads import REPLY, STOP, ThreadAction
from bot.messages.threads import relay_to_member, relay_to_partner
from bot.texts import Texts
from referral.leads.service import LeadNotFound
from referral.leads.threads import ThreadGone, ThreadService, ThreadStopped
from referral.members import Identity

MAX_TEXT = 3000


class Writing(StatesGroup):
    to_member = State()  # a partner admin's next message goes to the lead's member
    to_partner = State()  # a member's next message goes back to the partner


async def start_writing(
    query: CallbackQuery, callback_data: LeadAction, texts: Texts, state: FSMContext
) -> None:
    await state.set_state(Writing.to_member)
    await state.update_data(lead_id=callback_data.lead_id)
    await query.answer()
    await query.message.answer(texts("leads.write_prompt", id=callback_data.lead_id))


async def partner_message(
    message: Message,
    identity: Identity,
    texts: Texts,
    threads: ThreadService,
    state: FSMContext,
    bot: Bot,
) -> None:
    lead_id = (await state.get_data()).get("lead_id")
    await state.clear()
    text = (message.text or "")[:MAX_TEXT]
    queued = None
    for company_id in sorted(identity.roles.partner_company_ids):
        try:
            queued = await threads.partner_writes(company_id, lead_id, text, message.chat.id)
            break
        except LeadNotFound:
            continue
        except ThreadStopped:
            await message.answer(texts("leads.thread_stopped"))
            return
    if queued is None:
        await message.answer(texts("common.stale_button"))
        return
    sent = await relay_to_member(bot, threads, queued)
    await message.answer(texts("leads.written" if sent else "leads.write_later"))


async def member_action(
    query: CallbackQuery,
    callback_data: ThreadAction,
    identity: Identity,
    texts: Texts,
    threads: ThreadService,
    state: FSMContext,
) -> None:
    if callback_data.action == STOP:
        try:
            await threads.stop(callback_data.thread_id, identity.member.id)
        except ThreadGone:
            await query.answer(texts("common.stale_button"), show_alert=True)
            return
        await query.answer()
        await query.message.answer(texts("leads.stopped"))
        return
    await state.set_state(Writing.to_partner)
    await state.update_data(thread_id=callback_data.thread_id)
    await query.answer()
    await query.message.answer(texts("leads.reply_prompt"))


async def member_message(
    message: Message,
    identity: Identity,
    texts: Texts,
    threads: ThreadService,
    state: FSMContext,
    bot: Bot,
) -> None:
    thread_id = (await state.get_data()).get("thread_id")
    await state.clear()
    try:
        reply = await threads.member_replies(
            thread_id, identity.member.id, (message.text or "")[:MAX_TEXT]
        )
    except ThreadGone:
        await message.answer(texts("common.stale_button"))
        return
    with suppress(TelegramAPIError):  # the partner's webhook and the API still have it
        await relay_to_partner(bot, reply, None)
    await message.answer(texts("leads.replied"))


def router() -> Router:
    """A fresh router, so every Dispatcher (tests, restarts) gets its own."""
    r = Router(name="threads")
    r.callback_query.register(
        start_writing, LeadAction.filter(F.action == WRITE), HasRole("partner")
    )
    r.message.register(partner_message, StateFilter(Writing.to_member), F.text, HasRole("partner"))
    r.callback_query.register(
        member_action, ThreadAction.filter(F.action.in_({REPLY, STOP})), IsMember()
    )
    r.message.register(member_message, StateFilter(Writing.to_partner), F.text, IsMember())
    return r
