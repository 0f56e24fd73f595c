"""The member's side of surveys: answering each kind, and /surveys for open ones."""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, Filter
from aiogram.types import CallbackQuery, Message

from bot.filters import IsMember
from bot.jobs.deposit_notices import tell_partners
from bot.keyboards.surveys import (
    SurveyDone,
    SurveyOpen,
    SurveyPick,
    SurveyToggle,
    open_surveys_keyboard,
    question_message,
)
from bot.texts import Texts
from referral.ledger.services import Loyalty
from referral.members import Identity
from referral.surveys.answers import AnswerService
from referral.surveys.spec import MAX_ANSWER_TEXT
from referral.surveys.views import InvalidAnswer, Step


class AwaitsSurveyText(Filter):
    """Passes plain text when the member's current survey question wants text."""

    async def __call__(
        self,
        message: Message,
        identity: Identity | None = None,
        survey_answers: AnswerService | None = None,
    ) -> bool | dict[str, Step]:
        if identity is None or identity.member is None or survey_answers is None:
            return False
        if message.text is None or message.text.startswith("/"):
            return False
        step = await survey_answers.awaiting_text(identity.member.id)
        return {"step": step} if step is not None else False


async def list_open(
    message: Message, identity: Identity, texts: Texts, survey_answers: AnswerService
) -> None:
    steps = await survey_answers.open_for(identity.member.id)
    if not steps:
        await message.answer(texts("surveys.none_open"))
        return
    await message.answer(texts("surveys.open_list"), reply_markup=open_surveys_keyboard(steps))


async def reopen(
    query: CallbackQuery,
    callback_data: SurveyOpen,
    identity: Identity,
    texts: Texts,
    survey_answers: AnswerService,
) -> None:
    step = await survey_answers.current(identity.member.id, callback_data.s)
    if step is None:
        await query.answer(texts("common.stale_button"), show_alert=True)
        return
    await query.answer()
    text, markup = question_message(texts, step)
    await query.message.answer(text, reply_markup=markup)


async def pick(
    query: CallbackQuery,
    callback_data: SurveyPick,
    identity: Identity,
    texts: Texts,
    survey_answers: AnswerService,
    bot: Bot,
    loyalty: Loyalty,
) -> None:
    try:
        step = await survey_answers.answer(
            identity.member.id, callback_data.s, callback_data.q, callback_data.v
        )
    except InvalidAnswer:  # a forged value (no such option): as good as a stale button
        step = None
    await _after_answer(query, step, texts, bot, loyalty)


async def toggle(
    query: CallbackQuery,
    callback_data: SurveyToggle,
    identity: Identity,
    texts: Texts,
    survey_answers: AnswerService,
) -> None:
    step = await survey_answers.toggle(
        identity.member.id, callback_data.s, callback_data.q, callback_data.v
    )
    if step is None:
        await query.answer(texts("common.stale_button"), show_alert=True)
        return
    await query.answer()
    _, markup = question_message(texts, step)
    with suppress(TelegramBadRequest):
        await query.message.edit_reply_markup(reply_markup=markup)


async def done(
    query: CallbackQuery,
    callback_data: SurveyDone,
    identity: Identity,
    texts: Texts,
    survey_answers: AnswerService,
    bot: Bot,
    loyalty: Loyalty,
) -> None:
    try:
        step = await survey_answers.answer(identity.member.id, callback_data.s, callback_data.q)
    except InvalidAnswer:
        await query.answer(texts("surveys.pick_one"), show_alert=True)
        return
    await _after_answer(query, step, texts, bot, loyalty)


async def _after_answer(
    query: CallbackQuery, step: Step | None, texts: Texts, bot: Bot, loyalty: Loyalty
) -> None:
    if step is None:  # an old button, another survey's, or a finished survey
        await query.answer(texts("common.stale_button"), show_alert=True)
        return
    await query.answer(texts("surveys.recorded"))
    with suppress(TelegramBadRequest):  # the answered question loses its buttons
        await query.message.edit_reply_markup(reply_markup=None)
    await _next(query.message, step, texts, bot, loyalty)


async def text_answer(
    message: Message,
    step: Step,
    identity: Identity,
    texts: Texts,
    survey_answers: AnswerService,
    bot: Bot,
    loyalty: Loyalty,
) -> None:
    if len(message.text.strip()) > MAX_ANSWER_TEXT:
        await message.answer(texts("surveys.too_long"))
        return
    try:
        following = await survey_answers.answer(
            identity.member.id, step.survey.id, step.position, message.text
        )
    except InvalidAnswer:
        await message.answer(texts("surveys.empty_text"))
        return
    if following is not None:
        await _next(message, following, texts, bot, loyalty)


async def _next(message: Message, step: Step, texts: Texts, bot: Bot, loyalty: Loyalty) -> None:
    if step.completed:
        points = step.survey.reward_points
        key = (
            "surveys.thanks_reward_later"
            if step.shortfall
            else "surveys.thanks_reward"
            if points
            else "surveys.thanks"
        )
        await message.answer(texts(key, points=points))
        if step.shortfall:
            await tell_partners(
                bot, loyalty.shortfalls, step.shortfall, "survey", loyalty.ledger.clock()
            )
        return
    text, markup = question_message(texts, step)
    await message.answer(text, reply_markup=markup)


def router() -> Router:
    """A fresh router, so every Dispatcher (tests, restarts) gets its own."""
    r = Router(name="surveys")
    r.message.register(list_open, Command("surveys"), IsMember())
    r.message.register(text_answer, F.text, IsMember(), AwaitsSurveyText())
    r.callback_query.register(reopen, SurveyOpen.filter(), IsMember())
    r.callback_query.register(pick, SurveyPick.filter(), IsMember())
    r.callback_query.register(toggle, SurveyToggle.filter(), IsMember())
    r.callback_query.register(done, SurveyDone.filter(), IsMember())
    return r
