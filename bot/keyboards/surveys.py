"""Survey questions as members see them, and their typed callback data.

The survey id and question number ride in every button; the server checks
both against the member's progress, so an old button or another survey's
button changes nothing.
"""

from __future__ import annotations

from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.texts import Texts
from referral.surveys.views import Step


class SurveyPick(CallbackData, prefix="sv"):
    s: int  # survey id
    q: int  # question position
    v: int  # option index, or the rating 1..5


class SurveyToggle(CallbackData, prefix="st"):
    s: int
    q: int
    v: int


class SurveyDone(CallbackData, prefix="sd"):
    s: int
    q: int


class SurveyOpen(CallbackData, prefix="so"):
    s: int


def question_message(texts: Texts, step: Step) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of the step's current question (user text escaped)."""
    survey, question = step.survey, step.question
    assert question is not None
    text = texts(
        "surveys.question",
        title=escape(survey.title),
        number=question.position + 1,
        total=len(survey.questions),
        text=escape(question.text),
    )
    builder = InlineKeyboardBuilder()
    if question.kind == "rating":
        for value in range(1, 6):
            builder.button(
                text=str(value), callback_data=SurveyPick(s=survey.id, q=question.position, v=value)
            )
        builder.adjust(5)
    elif question.kind == "single":
        for i, option in enumerate(question.options):
            builder.button(
                text=option, callback_data=SurveyPick(s=survey.id, q=question.position, v=i)
            )
        builder.adjust(1)
    elif question.kind == "multi":
        for i, option in enumerate(question.options):
            mark = "✅ " if i in step.picked else ""
            builder.button(
                text=mark + option,
                callback_data=SurveyToggle(s=survey.id, q=question.position, v=i),
            )
        builder.button(
            text=texts("surveys.done"), callback_data=SurveyDone(s=survey.id, q=question.position)
        )
        builder.adjust(1)
    else:
        text += "\n\n" + texts("surveys.reply_with_text")
        return text, None
    return text, builder.as_markup()


def open_surveys_keyboard(steps: list[Step]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for step in steps:
        builder.button(text=step.survey.title[:60], callback_data=SurveyOpen(s=step.survey.id))
    builder.adjust(1)
    return builder.as_markup()


def progress_text(texts: Texts, survey_id: int, counts: dict[str, int]) -> str:
    """The marketer's one progress message, edited in place as counts change."""
    return texts("surveys.marketer.progress", id=survey_id, **counts)
