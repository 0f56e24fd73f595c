"""Segment targeting: the segments `refbot train` wrote (member_segments), within the company."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from referral.models import Member
from referral.offers.models import MemberSegment
from referral.surveys import models as m
from referral.surveys.service import SurveyService
from referral.surveys.spec import InvalidSurvey
from referral.surveys.views import AudienceTooSmall
from tests.surveys.factories import members, spec


async def label(db, telegram_ids: list[int], segment: str) -> None:  # type: ignore[no-untyped-def]
    """Seed member_segments directly, as a training run would leave them."""
    async with db.begin() as session:
        ids = (
            await session.scalars(select(Member.id).where(Member.telegram_id.in_(telegram_ids)))
        ).all()
        await session.execute(
            insert(MemberSegment),
            [{"member_id": i, "segment": segment, "updated_at": datetime.now(UTC)} for i in ids],
        )


async def recipients(db, survey_id: int) -> set[int]:  # type: ignore[no-untyped-def]
    async with db() as session:
        return set(
            (
                await session.scalars(
                    select(Member.telegram_id)
                    .join(m.SurveyDelivery, m.SurveyDelivery.member_id == Member.id)
                    .where(m.SurveyDelivery.survey_id == survey_id)
                )
            ).all()
        )


async def test_a_segment_survey_reaches_only_that_segment_of_the_company(db):
    acme = await members(db, 9)
    other = await members(db, 6, code="beta", first_id=20_000)
    await label(db, acme[:6], "loyal")
    await label(db, acme[6:], "dormant")
    await label(db, other, "loyal")  # the same name in another company is not ours
    surveys = SurveyService(db, min_audience=5)

    assert await surveys.segments("acme") == ["dormant", "loyal"]
    assert await surveys.audience_size("acme", "loyal") == 6
    survey_id = await surveys.create(spec(segment="loyal"))
    assert await surveys.queue(survey_id) == 6
    assert await recipients(db, survey_id) == set(acme[:6])


async def test_an_unknown_segment_is_refused_naming_the_field_and_the_known_ones(db):
    acme = await members(db, 6)
    await label(db, acme, "loyal")
    surveys = SurveyService(db, min_audience=5)
    with pytest.raises(InvalidSurvey) as refused:
        await surveys.create(spec(segment="vip"))
    assert refused.value.field == "segment"
    assert "'vip'" in str(refused.value) and "loyal" in str(refused.value)
    with pytest.raises(InvalidSurvey):
        await surveys.audience_size("acme", "vip")
    assert await surveys.all() == []


async def test_a_segment_below_the_minimum_audience_is_refused(db):
    acme = await members(db, 8)
    await label(db, acme[:4], "loyal")
    await label(db, acme[4:], "dormant")
    surveys = SurveyService(db, min_audience=5)
    with pytest.raises(AudienceTooSmall, match="4 members"):
        await surveys.create(spec(segment="loyal"))
    assert await surveys.all() == []


async def test_the_minimum_is_checked_again_when_queued(db):
    acme = await members(db, 7)
    await label(db, acme[:5], "loyal")
    await label(db, acme[5:], "dormant")
    surveys = SurveyService(db, min_audience=5)
    survey_id = await surveys.create(spec(segment="loyal"))
    # A retraining moved members out of the segment before the survey was sent.
    async with db.begin() as session:
        ids = (
            await session.scalars(select(Member.id).where(Member.telegram_id.in_(acme[:2])))
        ).all()
        await session.execute(
            MemberSegment.__table__.update()
            .where(MemberSegment.member_id.in_(ids))
            .values(segment="dormant")
        )
    with pytest.raises(AudienceTooSmall):
        await surveys.queue(survey_id)
