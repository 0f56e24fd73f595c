"""Quiet hours hold scheduled surveys only: a survey sent now goes at once."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from referral.surveys import models as m
from referral.surveys.service import SurveyService
from tests.surveys.factories import members, spec

MSK = ZoneInfo("Europe/Moscow")
LATE = datetime(2026, 3, 10, 23, 30, tzinfo=MSK).astimezone(UTC)  # inside 22:00-09:00
MORNING = datetime(2026, 3, 11, 9, 0, tzinfo=MSK).astimezone(UTC)


async def due_times(db, survey_id: int) -> set[datetime]:  # type: ignore[no-untyped-def]
    async with db() as session:
        rows = await session.scalars(
            select(m.SurveyDelivery.due_at).where(m.SurveyDelivery.survey_id == survey_id)
        )
        return {d if d.tzinfo else d.replace(tzinfo=UTC) for d in rows}


async def test_send_now_in_quiet_hours_is_due_at_once_and_a_scheduled_one_waits(db):
    await members(db, 5)
    surveys = SurveyService(db, zone=MSK, quiet_window=(time(22), time(9)))
    now_id = await surveys.create(spec())
    await surveys.queue(now_id, now=LATE)
    assert await due_times(db, now_id) == {LATE}

    scheduled_id = await surveys.create(spec(send_at=LATE.astimezone(MSK).replace(tzinfo=None)))
    await surveys.queue(scheduled_id, now=LATE)
    assert await due_times(db, scheduled_id) == {MORNING}
