"""Surveys for marketers: create, size the audience, queue the outbox, report progress.

Every public method is one unit of work (services own their transactions).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.companies import by_code
from referral.consent import CONSENT_VERSION
from referral.models import Consent, Member
from referral.offers.models import MemberSegment
from referral.surveys import models as m
from referral.surveys.spec import InvalidSurvey, SurveySpec
from referral.surveys.views import (
    AlreadyQueued,
    AudienceTooSmall,
    SurveyView,
    UnknownSurvey,
    after_quiet_hours,
    load_view,
)


def _audience(company_id: int, segment: str | None = None):  # type: ignore[no-untyped-def]
    """Consenting, reachable members of the company (and of the segment, when one is named)."""
    current = exists().where(
        Consent.member_id == Member.id,
        Consent.withdrawn_at.is_(None),
        Consent.version == CONSENT_VERSION,
    )
    query = select(Member.id).where(
        Member.company_id == company_id,
        Member.reachable.is_(True),
        Member.telegram_id.is_not(None),
        Member.erased_at.is_(None),
        current,
    )
    if segment is not None:
        query = query.where(
            exists().where(MemberSegment.member_id == Member.id, MemberSegment.segment == segment)
        )
    return query


async def _known_segments(session: AsyncSession, company_id: int) -> list[str]:
    names = await session.scalars(
        select(MemberSegment.segment)
        .join(Member, Member.id == MemberSegment.member_id)
        .where(Member.company_id == company_id)
        .distinct()
        .order_by(MemberSegment.segment)
    )
    return list(names)


class SurveyService:
    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        *,
        min_audience: int = 5,
        zone: ZoneInfo = ZoneInfo("Europe/Moscow"),
        quiet_window: tuple[time, time] | None = None,
    ) -> None:
        self.db = db
        self.min_audience = min_audience
        self.zone = zone
        self.quiet_window = quiet_window

    # -- building -------------------------------------------------------------------

    async def audience_size(self, company_code: str, segment: str | None = None) -> int:
        """How many members a survey to this company (and segment) would reach now."""
        async with self.db() as session:
            company = await by_code(session, company_code)
            await self._check_segment(session, company.id, segment)
            return await self._count(session, company.id, segment)

    async def segments(self, company_code: str) -> list[str]:
        """The segment names the last training gave this company's members, sorted."""
        async with self.db() as session:
            company = await by_code(session, company_code)
            return await _known_segments(session, company.id)

    async def create(self, spec: SurveySpec) -> int:
        """Store a draft; refuses an unknown company or segment and a too small audience."""
        async with self.db.begin() as session:
            company = await by_code(session, spec.company)
            await self._check_segment(session, company.id, spec.segment)
            size = await self._count(session, company.id, spec.segment)
            if size < self.min_audience:
                raise AudienceTooSmall(
                    f"target: {size} members reached, fewer than the minimum {self.min_audience}"
                )
            send_at = spec.send_at
            if send_at is not None and send_at.tzinfo is None:
                send_at = send_at.replace(tzinfo=self.zone)
            if send_at is not None:  # stored in UTC: SQLite keeps the wall clock, not the offset
                send_at = send_at.astimezone(UTC)
            survey = m.Survey(
                title=spec.title,
                company_id=company.id,
                segment=spec.segment,
                reward_points=spec.reward_points,
                send_at=send_at,
                status=m.DRAFT,
            )
            session.add(survey)
            await session.flush()
            for i, q in enumerate(spec.questions):
                session.add(
                    m.SurveyQuestion(
                        survey_id=survey.id,
                        position=i,
                        kind=q.kind,
                        text=q.text,
                        options=json.dumps(q.options, ensure_ascii=False),
                    )
                )
        return survey.id

    async def _check_segment(
        self, session: AsyncSession, company_id: int, segment: str | None
    ) -> None:
        if segment is None:
            return
        known = await _known_segments(session, company_id)
        if segment not in known:
            listed = ", ".join(known) if known else "none yet (run `refbot train`)"
            raise InvalidSurvey(
                "segment",
                f"unknown segment {segment!r}; known segments: {listed}; "
                "or null for the whole company",
            )

    async def _count(
        self, session: AsyncSession, company_id: int, segment: str | None = None
    ) -> int:
        audience = _audience(company_id, segment).subquery()
        return await session.scalar(select(func.count()).select_from(audience)) or 0

    async def discard(self, survey_id: int) -> None:
        """Forget a draft (the chat builder's Cancel)."""
        async with self.db.begin() as session:
            survey = await session.get(m.Survey, survey_id)
            if survey is not None and survey.status == m.DRAFT:
                await session.delete(survey)

    async def queue(self, survey_id: int, now: datetime | None = None) -> int:
        """One outbox row per consenting, reachable member of the target; returns how many.

        A scheduled survey (send_at) waits for its time, and past quiet hours.
        One without send_at ("send now") is due at once, quiet hours or not:
        the marketer asked for now.
        """
        now = now or datetime.now(UTC)
        async with self.db.begin() as session:
            survey = await session.get(m.Survey, survey_id, with_for_update=True)
            if survey is None:
                raise UnknownSurvey(f"no survey {survey_id}")
            if survey.status != m.DRAFT:
                raise AlreadyQueued(f"survey {survey_id} is already queued")
            size = await self._count(session, survey.company_id, survey.segment)
            if size < self.min_audience:
                raise AudienceTooSmall(
                    f"target: {size} members reached, fewer than the minimum {self.min_audience}"
                )
            due = now
            if survey.send_at is not None:
                # SQLite hands the stored UTC time back naive.
                send_at = survey.send_at.replace(tzinfo=survey.send_at.tzinfo or UTC)
                due = after_quiet_hours(max(send_at, now), self.quiet_window, self.zone)
            rows = [
                {
                    "survey_id": survey_id,
                    "member_id": member_id,
                    "status": m.PENDING,
                    "due_at": due,
                    "attempts": 0,
                    "position": 0,
                    "picked": "",
                }
                for member_id in (
                    await session.scalars(_audience(survey.company_id, survey.segment))
                ).all()
            ]
            if rows:
                await session.execute(insert(m.SurveyDelivery), rows)
            survey.status = m.QUEUED
            survey.queued_at = now
        return len(rows)

    async def watch(self, survey_id: int, chat_id: int, message_id: int, language: str) -> None:
        """Remember the marketer's progress message; the drainer keeps it up to date."""
        async with self.db.begin() as session:
            await session.execute(
                update(m.Survey)
                .where(m.Survey.id == survey_id)
                .values(
                    progress_chat_id=chat_id,
                    progress_message_id=message_id,
                    progress_language=language,
                )
            )

    async def watched(self, now: datetime | None = None) -> list[tuple[int, int, int, str]]:
        """(survey, chat, message, language) of progress messages of the last week."""
        since = (now or datetime.now(UTC)) - timedelta(days=7)
        s = m.Survey
        async with self.db() as session:
            rows = (
                await session.execute(
                    select(
                        s.id, s.progress_chat_id, s.progress_message_id, s.progress_language
                    ).where(s.progress_message_id.is_not(None), s.queued_at >= since)
                )
            ).all()
        return [(i, c, msg, lang or "ru") for i, c, msg, lang in rows]

    # -- reading --------------------------------------------------------------------

    async def get(self, survey_id: int) -> SurveyView:
        async with self.db() as session:
            return await load_view(session, survey_id)

    async def all(self) -> list[SurveyView]:
        async with self.db() as session:
            ids = (await session.scalars(select(m.Survey.id).order_by(m.Survey.id))).all()
            return [await load_view(session, i) for i in ids]

    async def progress(self, survey_id: int) -> dict[str, int]:
        """Outbox counts by status, plus how many recipients answered everything."""
        async with self.db() as session:
            d = m.SurveyDelivery
            rows = (
                await session.execute(
                    select(d.status, func.count())
                    .where(d.survey_id == survey_id)
                    .group_by(d.status)
                )
            ).all()
            answered = await session.scalar(
                select(func.count()).where(d.survey_id == survey_id, d.completed_at.is_not(None))
            )
        counts = {
            s: 0
            for s in (m.PENDING, m.SENDING, m.SENT, m.UNREACHABLE, m.FAILED, m.IN_DOUBT, m.SKIPPED)
        }
        counts.update({s: n for s, n in rows})
        counts["queued"] = sum(n for _, n in rows)
        counts["answered"] = answered or 0
        return counts
