"""Plain views of surveys for the bot and the CLI, and the rules they share."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from referral.errors import DomainError
from referral.ledger.shortfalls import Shortfall
from referral.surveys import models as m
from referral.surveys.spec import MAX_ANSWER_TEXT


class Ledger(Protocol):
    async def award_points(
        self, member_id: int, company_id: int, points: int, reason: str, idempotency_key: str
    ) -> bool: ...


class UnknownSurvey(DomainError):
    """No survey with that id."""


class AudienceTooSmall(DomainError):
    """The target is smaller than MIN_AUDIENCE, so it could single a person out."""


class AlreadyQueued(DomainError):
    """The survey was queued before; queuing twice would message people twice."""


class InvalidAnswer(DomainError):
    """An answer that does not fit its question (a stale or forged button, bad text)."""


@dataclass(frozen=True)
class Question:
    position: int
    kind: str
    text: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class SurveyView:
    id: int
    title: str
    company_id: int
    reward_points: int
    status: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Step:
    """Where a member stands after an action: the question to show next, or done."""

    survey: SurveyView
    position: int
    picked: frozenset[int] = frozenset()
    completed: bool = False
    # Set when the reward was refused for the partner's short deposit; it is retried.
    shortfall: Shortfall | None = None

    @property
    def question(self) -> Question | None:
        return None if self.completed else self.survey.questions[self.position]


def reward_key(survey_id: int, member_id: int) -> str:
    return f"survey:{survey_id}:member:{member_id}"


def after_quiet_hours(when: datetime, window: tuple[time, time] | None, zone: ZoneInfo) -> datetime:
    """``when``, or the end of the quiet window it falls into (local time)."""
    if window is None:
        return when
    start, end = window
    local = when.astimezone(zone)
    t = local.time()
    quiet = (start <= t < end) if start <= end else (t >= start or t < end)
    if not quiet:
        return when
    day = local.date() if (start <= end or t < end) else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)


def picked_set(text: str) -> frozenset[int]:
    return frozenset(int(p) for p in text.split(",") if p)


def validate(question: Question, value: int | str | None, picked: frozenset[int]) -> str:
    if question.kind == "single":
        if not isinstance(value, int) or not 0 <= value < len(question.options):
            raise InvalidAnswer("no such option")
        return str(value)
    if question.kind == "rating":
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise InvalidAnswer("a rating is 1 to 5")
        return str(value)
    if question.kind == "multi":
        if not picked:
            raise InvalidAnswer("pick at least one option")
        return json.dumps(sorted(picked))
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidAnswer("the answer is empty")
    if len(text) > MAX_ANSWER_TEXT:
        raise InvalidAnswer(f"the answer is longer than {MAX_ANSWER_TEXT} characters")
    return text


async def delivery_of(
    session: AsyncSession, member_id: int, survey_id: int, lock: bool = False
) -> m.SurveyDelivery | None:
    query = select(m.SurveyDelivery).where(
        m.SurveyDelivery.member_id == member_id, m.SurveyDelivery.survey_id == survey_id
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def load_view(session: AsyncSession, survey_id: int) -> SurveyView:
    survey = await session.get(m.Survey, survey_id)
    if survey is None:
        raise UnknownSurvey(f"no survey {survey_id}")
    questions = (
        await session.scalars(
            select(m.SurveyQuestion)
            .where(m.SurveyQuestion.survey_id == survey_id)
            .order_by(m.SurveyQuestion.position)
        )
    ).all()
    return SurveyView(
        survey.id,
        survey.title,
        survey.company_id,
        survey.reward_points,
        survey.status,
        tuple(
            Question(q.position, q.kind, q.text, tuple(json.loads(q.options or "[]")))
            for q in questions
        ),
    )
