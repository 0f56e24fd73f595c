"""/survey for marketers: the builder (FSM), confirmation with preview and reach, results."""

from __future__ import annotations

from datetime import datetime
from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.filters import HasRole
from bot.keyboards.surveys import progress_text, question_message
from bot.texts import Texts
from referral.errors import DomainError
from referral.surveys.results import ResultsService, chart
from referral.surveys.service import SurveyService
from referral.surveys.spec import KINDS, InvalidSurvey, QuestionSpec, parse_spec
from referral.surveys.views import Step


class Build(StatesGroup):
    title = State()
    kind = State()
    text = State()
    options = State()
    more = State()
    company = State()
    segment = State()
    reward = State()
    when = State()
    confirm = State()


class BuilderAction(CallbackData, prefix="sb"):
    action: str  # a kind, "add", "finish", "everyone", "now", "yes", "no"
    s: int = 0


def _keyboard(texts: Texts, actions: list[str], survey_id: int = 0):  # type: ignore[no-untyped-def]
    builder = InlineKeyboardBuilder()
    for action in actions:
        builder.button(
            text=texts(f"surveys.builder.{action}"),
            callback_data=BuilderAction(action=action, s=survey_id),
        )
    builder.adjust(2)
    return builder.as_markup()


async def start(
    message: Message,
    command: CommandObject,
    texts: Texts,
    state: FSMContext,
    surveys: SurveyService,
    survey_results: ResultsService,
) -> None:
    args = (command.args or "").split()
    if len(args) == 2 and args[0] == "results" and args[1].isdigit():
        await results(message, int(args[1]), texts, survey_results)
        return
    await state.clear()
    await state.set_state(Build.title)
    await message.answer(texts("surveys.builder.ask_title"))


async def got_title(message: Message, texts: Texts, state: FSMContext) -> None:
    await state.update_data(title=message.text, questions=[])
    await state.set_state(Build.kind)
    await message.answer(
        texts("surveys.builder.ask_kind"), reply_markup=_keyboard(texts, list(KINDS))
    )


async def got_kind(
    query: CallbackQuery, callback_data: BuilderAction, texts: Texts, state: FSMContext
) -> None:
    await query.answer()
    await state.update_data(kind=callback_data.action)
    await state.set_state(Build.text)
    await query.message.answer(texts("surveys.builder.ask_text"))


async def got_text(message: Message, texts: Texts, state: FSMContext) -> None:
    data = await state.update_data(text=message.text)
    if data["kind"] in ("single", "multi"):
        await state.set_state(Build.options)
        await message.answer(texts("surveys.builder.ask_options"))
        return
    await _add_question(message, texts, state, [])


async def got_options(message: Message, texts: Texts, state: FSMContext) -> None:
    options = [line for line in (message.text or "").splitlines() if line.strip()]
    await _add_question(message, texts, state, options)


async def _add_question(
    message: Message, texts: Texts, state: FSMContext, options: list[str]
) -> None:
    data = await state.get_data()
    try:
        question = QuestionSpec(kind=data["kind"], text=data["text"], options=options)
    except ValueError as error:
        await message.answer(
            texts("surveys.builder.refused", reason=escape(str(error).splitlines()[-1]))
        )
        return
    await state.update_data(questions=[*data["questions"], question.model_dump()])
    await state.set_state(Build.more)
    await message.answer(
        texts("surveys.builder.ask_more"), reply_markup=_keyboard(texts, ["add", "finish"])
    )


async def more(
    query: CallbackQuery, callback_data: BuilderAction, texts: Texts, state: FSMContext
) -> None:
    await query.answer()
    if callback_data.action == "add":
        await state.set_state(Build.kind)
        await query.message.answer(
            texts("surveys.builder.ask_kind"), reply_markup=_keyboard(texts, list(KINDS))
        )
    else:
        await state.set_state(Build.company)
        await query.message.answer(texts("surveys.builder.ask_company"))


async def got_company(
    message: Message, texts: Texts, state: FSMContext, surveys: SurveyService
) -> None:
    code = (message.text or "").strip()
    try:
        size = await surveys.audience_size(code)
        known = await surveys.segments(code)
    except DomainError as error:
        await message.answer(texts("surveys.builder.refused", reason=escape(str(error))))
        return
    await state.update_data(company=code, segment=None)
    if not known:  # no training yet: the whole company is the only target
        await _ask_reward(message, texts, state)
        return
    await state.set_state(Build.segment)
    await message.answer(
        texts("surveys.builder.ask_segment", members=size, segments=escape(", ".join(known))),
        reply_markup=_keyboard(texts, ["everyone"]),
    )


async def got_segment(
    message: Message, texts: Texts, state: FSMContext, surveys: SurveyService
) -> None:
    segment = (message.text or "").strip()
    data = await state.get_data()
    try:
        await surveys.audience_size(data["company"], segment)
    except DomainError as error:
        await message.answer(texts("surveys.builder.refused", reason=escape(str(error))))
        return
    await state.update_data(segment=segment)
    await _ask_reward(message, texts, state)


async def everyone(query: CallbackQuery, texts: Texts, state: FSMContext) -> None:
    await query.answer()
    await state.update_data(segment=None)
    await _ask_reward(query.message, texts, state)


async def _ask_reward(message: Message, texts: Texts, state: FSMContext) -> None:
    await state.set_state(Build.reward)
    await message.answer(texts("surveys.builder.ask_reward"))


async def got_reward(
    message: Message, texts: Texts, state: FSMContext, surveys: SurveyService
) -> None:
    if not (message.text or "").strip().isdigit():
        await message.answer(texts("surveys.builder.ask_reward"))
        return
    await state.update_data(reward_points=int(message.text.strip()))
    await state.set_state(Build.when)
    await message.answer(
        texts("surveys.builder.ask_when", zone=surveys.zone.key),
        reply_markup=_keyboard(texts, ["now"]),
    )


async def when_now(
    query: CallbackQuery, texts: Texts, state: FSMContext, surveys: SurveyService
) -> None:
    await query.answer()
    await _preview(query.message, texts, state, surveys, None)


async def when_at(
    message: Message, texts: Texts, state: FSMContext, surveys: SurveyService
) -> None:
    try:
        at = datetime.strptime((message.text or "").strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        await message.answer(
            texts("surveys.builder.ask_when", zone=surveys.zone.key),
            reply_markup=_keyboard(texts, ["now"]),
        )
        return
    await _preview(message, texts, state, surveys, at)


async def _preview(
    message: Message, texts: Texts, state: FSMContext, surveys: SurveyService, at: datetime | None
) -> None:
    data = await state.get_data()
    try:
        keys = ("title", "company", "segment", "reward_points", "questions")
        spec = parse_spec({k: data.get(k) for k in keys} | {"send_at": at})
        survey_id = await surveys.create(spec)
        size = await surveys.audience_size(spec.company, spec.segment)
    except (InvalidSurvey, DomainError) as error:
        await state.clear()
        await message.answer(texts("surveys.builder.refused", reason=escape(str(error))))
        return
    view = await surveys.get(survey_id)
    # Exactly as members will see it; the buttons lead nowhere (no delivery row).
    for position in range(len(view.questions)):
        text, markup = question_message(texts, Step(view, position))
        await message.answer(text, reply_markup=markup)
    await state.set_state(Build.confirm)
    await message.answer(
        texts("surveys.builder.confirm", members=size),
        reply_markup=_keyboard(texts, ["yes", "no"], survey_id),
    )


async def confirm(
    query: CallbackQuery,
    callback_data: BuilderAction,
    texts: Texts,
    state: FSMContext,
    surveys: SurveyService,
) -> None:
    await query.answer()
    await state.clear()
    if callback_data.action == "no":
        await surveys.discard(callback_data.s)
        await query.message.answer(texts("surveys.builder.cancelled"))
        return
    try:
        await surveys.queue(callback_data.s)
    except DomainError as error:
        await query.message.answer(texts("surveys.builder.refused", reason=escape(str(error))))
        return
    counts = await surveys.progress(callback_data.s)
    shown = await query.message.answer(progress_text(texts, callback_data.s, counts))
    await surveys.watch(callback_data.s, shown.chat.id, shown.message_id, texts.language)


async def results(
    message: Message, survey_id: int, texts: Texts, survey_results: ResultsService
) -> None:
    try:
        found = await survey_results.results(survey_id)
    except DomainError as error:
        await message.answer(texts("surveys.builder.refused", reason=escape(str(error))))
        return
    lines = [texts("surveys.results.header", title=escape(found.survey.title), n=found.respondents)]
    for q in found.questions:
        lines.append(f"\n<b>{q.question.position + 1}. {escape(q.question.text)}</b>")
        lines += [f"{escape(label)}: {n} ({pct}%)" for label, n, pct in q.counts]
        if q.mean is not None:
            lines.append(texts("surveys.results.mean", mean=f"{q.mean:.2f}"))
        lines += [f"• {escape(t[:200])}" for t in q.texts[:20]]
    await message.answer("\n".join(lines)[:4000])
    for q in found.questions:
        if (png := chart(q)) is not None:
            await message.answer_photo(BufferedInputFile(png, f"q{q.question.position + 1}.png"))
    await message.answer_document(
        BufferedInputFile(found.csv().encode(), f"survey-{survey_id}.csv")
    )


def router() -> Router:
    """A fresh router, so every Dispatcher (tests, restarts) gets its own."""
    r = Router(name="marketer")
    r.message.filter(HasRole("marketer"))
    r.callback_query.filter(HasRole("marketer"))
    r.message.register(start, Command("survey"))
    r.message.register(got_title, Build.title, F.text)
    r.callback_query.register(got_kind, Build.kind, BuilderAction.filter(F.action.in_(KINDS)))
    r.message.register(got_text, Build.text, F.text)
    r.message.register(got_options, Build.options, F.text)
    r.callback_query.register(
        more, Build.more, BuilderAction.filter(F.action.in_(("add", "finish")))
    )
    r.message.register(got_company, Build.company, F.text)
    r.message.register(got_segment, Build.segment, F.text)
    r.callback_query.register(everyone, Build.segment, BuilderAction.filter(F.action == "everyone"))
    r.message.register(got_reward, Build.reward, F.text)
    r.callback_query.register(when_now, Build.when, BuilderAction.filter(F.action == "now"))
    r.message.register(when_at, Build.when, F.text)
    r.callback_query.register(
        confirm, Build.confirm, BuilderAction.filter(F.action.in_(("yes", "no")))
    )
    return r
