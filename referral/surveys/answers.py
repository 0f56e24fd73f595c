"""The member's side: the current question, toggles, answers, and the reward once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.errors import DomainError
from referral.ledger.errors import InsufficientDeposit
from referral.ledger.shortfalls import Shortfall, shortfall_of
from referral.surveys import models as m
from referral.surveys.views import (
    Ledger,
    Step,
    SurveyView,
    delivery_of,
    load_view,
    picked_set,
    reward_key,
    validate,
)

log = logging.getLogger(__name__)

# A press or a reply proves the question arrived, even before the drainer has
# settled its row 'sent' (it settles in batches): 'sending' rows are answerable.
ANSWERABLE = (m.SENT, m.SENDING, m.IN_DOUBT)


class AnswerService:
    def __init__(self, db: async_sessionmaker[AsyncSession], ledger: Ledger | None = None) -> None:
        self.db = db
        self.ledger = ledger

    async def open_for(self, member_id: int) -> list[Step]:
        """Surveys this member was sent (or may have been) and has not finished."""
        d = m.SurveyDelivery
        async with self.db() as session:
            rows = (
                await session.scalars(
                    select(d)
                    .where(
                        d.member_id == member_id,
                        d.completed_at.is_(None),
                        d.status.in_(ANSWERABLE),
                    )
                    .order_by(d.survey_id)
                )
            ).all()
            return [
                Step(await load_view(session, r.survey_id), r.position, picked_set(r.picked))
                for r in rows
            ]

    async def current(self, member_id: int, survey_id: int) -> Step | None:
        async with self.db() as session:
            row = await delivery_of(session, member_id, survey_id)
            if row is None or row.completed_at is not None:
                return None
            return Step(await load_view(session, survey_id), row.position, picked_set(row.picked))

    async def awaiting_text(self, member_id: int) -> Step | None:
        """The open survey, most recently touched, whose current question wants text."""
        d, q = m.SurveyDelivery, m.SurveyQuestion
        async with self.db() as session:
            row = await session.scalar(
                select(d)
                .join(q, and_(q.survey_id == d.survey_id, q.position == d.position))
                .where(
                    d.member_id == member_id,
                    d.completed_at.is_(None),
                    q.kind == "text",
                    d.status.in_(ANSWERABLE),
                )
                .order_by(d.updated_at.desc().nulls_last(), d.id.desc())
                .limit(1)
            )
            if row is None:
                return None
            return Step(await load_view(session, row.survey_id), row.position)

    # -- answering ------------------------------------------------------------------

    async def toggle(
        self, member_id: int, survey_id: int, position: int, option: int
    ) -> Step | None:
        """Flip one option of a multiple-choice question; None when the button is stale."""
        async with self.db.begin() as session:
            row, view = await self._answerable(session, member_id, survey_id, position)
            if row is None or view.questions[position].kind != "multi":
                return None
            if not 0 <= option < len(view.questions[position].options):
                return None
            picked = set(picked_set(row.picked)) ^ {option}
            row.picked = ",".join(str(i) for i in sorted(picked))
            row.updated_at = datetime.now(UTC)
            return Step(view, position, frozenset(picked))

    async def answer(
        self, member_id: int, survey_id: int, position: int, value: int | str | None = None
    ) -> Step | None:
        """Record one answer and move on; None when stale (old button, other survey, done).

        value: the option index (single), 1-5 (rating), the text (text); for
        multi, None takes the toggled choices. The reward follows the last answer.
        """
        now = datetime.now(UTC)
        async with self.db.begin() as session:
            row, view = await self._answerable(session, member_id, survey_id, position)
            if row is None:
                return None
            stored = validate(view.questions[position], value, picked_set(row.picked))
            session.add(
                m.SurveyAnswer(
                    survey_id=survey_id,
                    member_id=member_id,
                    position=position,
                    value=stored,
                    answered_at=now,
                )
            )
            row.position = position + 1
            row.picked = ""
            row.updated_at = now
            done = row.position >= len(view.questions)
            if done:
                row.completed_at = now
        shortfall = (await self._credit(survey_id, member_id))[1] if done else None
        return Step(view, position + 1, completed=done, shortfall=shortfall)

    async def _answerable(
        self, session: AsyncSession, member_id: int, survey_id: int, position: int
    ) -> tuple[m.SurveyDelivery | None, SurveyView]:
        row = await delivery_of(session, member_id, survey_id, lock=True)
        if (
            row is None
            or row.completed_at is not None
            or row.position != position
            or row.status not in ANSWERABLE
        ):
            return None, None  # type: ignore[return-value]
        return row, await load_view(session, survey_id)

    # -- rewards --------------------------------------------------------------------

    async def credit(self, survey_id: int, member_id: int) -> bool:
        """Credit a completed survey's reward once (the ledger's idempotency key)."""
        return (await self._credit(survey_id, member_id))[0]

    async def _credit(self, survey_id: int, member_id: int) -> tuple[bool, Shortfall | None]:
        """(credited, the deposit shortfall that refused it, if that was the reason)."""
        if self.ledger is None:
            return False, None
        async with self.db() as session:
            survey = await session.get(m.Survey, survey_id)
        if survey is None:
            return False, None
        if survey.reward_points > 0:
            try:
                await self.ledger.award_points(
                    member_id,
                    survey.company_id,
                    survey.reward_points,
                    "survey",
                    reward_key(survey_id, member_id),
                )
            except DomainError as error:
                # E.g. the company's points deposit ran dry: the answers stand,
                # rewarded_at stays empty and credit_missed tries again later.
                log.warning("survey %s: reward not credited yet: %s", survey_id, error)
                if not isinstance(error, InsufficientDeposit):
                    return False, None
                async with self.db() as session:
                    return False, await shortfall_of(session, error)
        async with self.db.begin() as session:
            await session.execute(
                update(m.SurveyDelivery)
                .where(
                    m.SurveyDelivery.survey_id == survey_id, m.SurveyDelivery.member_id == member_id
                )
                .values(rewarded_at=datetime.now(UTC))
            )
        return True, None

    async def credit_missed(self, limit: int = 100) -> int:
        """Credit completions whose reward did not follow (the process died in between)."""
        d = m.SurveyDelivery
        async with self.db() as session:
            rows = (
                await session.execute(
                    select(d.survey_id, d.member_id)
                    .where(d.completed_at.is_not(None), d.rewarded_at.is_(None))
                    .limit(limit)
                )
            ).all()
        for survey_id, member_id in rows:
            await self.credit(survey_id, member_id)
        return len(rows)
