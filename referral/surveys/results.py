"""Results: a frame of answers (pseudonyms only), counts and means, CSV and charts.

Results are shown only once at least ``min_audience`` members answered, so a
small survey cannot single a person out.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.errors import DomainError
from referral.models import Member
from referral.surveys import models as m
from referral.surveys.views import Question, SurveyView, load_view

COLUMNS = ["member", "question", "question_text", "answer", "answered_at"]


class TooFewAnswers(DomainError):
    """Fewer answers than MIN_AUDIENCE: results would expose individuals."""


@dataclass
class QuestionResult:
    question: Question
    answered: int
    counts: list[tuple[str, int, float]] = field(default_factory=list)  # label, n, percent
    mean: float | None = None
    texts: list[str] = field(default_factory=list)


@dataclass
class Results:
    survey: SurveyView
    respondents: int
    questions: list[QuestionResult]
    frame: pd.DataFrame

    def csv(self) -> str:
        return self.frame.to_csv(index=False)


def render_answer(question: Question, value: str) -> str:
    if question.kind == "single":
        return question.options[int(value)]
    if question.kind == "multi":
        return "; ".join(question.options[i] for i in json.loads(value))
    return value


class ResultsService:
    def __init__(self, db: async_sessionmaker[AsyncSession], min_audience: int = 5) -> None:
        self.db = db
        self.min_audience = min_audience

    async def results(self, survey_id: int) -> Results:
        a = m.SurveyAnswer
        async with self.db() as session:
            view = await load_view(session, survey_id)
            rows = (
                await session.execute(
                    select(Member.pseudonym, a.position, a.value, a.answered_at)
                    .join(Member, Member.id == a.member_id)
                    .where(a.survey_id == survey_id)
                    .order_by(a.answered_at, a.id)
                )
            ).all()
        respondents = len({r[0] for r in rows})
        if respondents < self.min_audience:
            raise TooFewAnswers(
                f"{respondents} members answered; results are shown from {self.min_audience}"
            )
        frame = pd.DataFrame(
            [
                (
                    p,
                    pos + 1,
                    view.questions[pos].text,
                    render_answer(view.questions[pos], v),
                    when.isoformat(),
                )
                for p, pos, v, when in rows
            ],
            columns=COLUMNS,
        )
        raw = {
            q.position: [v for _, pos, v, _ in rows if pos == q.position] for q in view.questions
        }
        return Results(
            view, respondents, [_summarise(q, raw[q.position]) for q in view.questions], frame
        )


def _summarise(question: Question, values: list[str]) -> QuestionResult:
    result = QuestionResult(question, len(values))
    if question.kind == "text":
        result.texts = values
        return result
    if question.kind == "rating":
        numbers = pd.Series([int(v) for v in values], dtype="float64")
        result.mean = float(numbers.mean()) if len(numbers) else None
        labels, picks = [str(i) for i in range(1, 6)], [[int(v) - 1] for v in values]
    elif question.kind == "single":
        labels, picks = list(question.options), [[int(v)] for v in values]
    else:
        labels, picks = list(question.options), [json.loads(v) for v in values]
    counts = pd.Series([i for p in picks for i in p], dtype="int64").value_counts()
    total = len(values) or 1
    result.counts = [
        (label, int(counts.get(i, 0)), round(100.0 * int(counts.get(i, 0)) / total, 1))
        for i, label in enumerate(labels)
    ]
    return result


def chart(result: QuestionResult) -> bytes | None:
    """A bar chart (PNG) of one question's counts; None for free text."""
    if not result.counts:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.2), dpi=100)
    axes = figure.subplots()
    labels = [label for label, _, _ in result.counts]
    axes.barh(labels[::-1], [n for _, n, _ in result.counts][::-1], color="#3b7dd8")
    axes.set_xlabel("answers")
    axes.set_title(f"{result.question.position + 1}. {result.question.text[:60]}", fontsize=9)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
