"""The outbox and the answers on a real SQLite file and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from referral.db import create_engine, create_sessionmaker
from referral.errors import UnknownCompany
from referral.surveys import models as m
from referral.surveys.answers import AnswerService
from referral.surveys.outbox import Outbox
from referral.surveys.results import ResultsService, TooFewAnswers
from referral.surveys.service import SurveyService
from referral.surveys.spec import InvalidSurvey
from referral.surveys.views import AudienceTooSmall
from tests.surveys.factories import members, spec


class FakeLedger:
    """Stands in for the ledger's award_points contract: True once per key."""

    def __init__(self) -> None:
        self.keys: dict[str, int] = {}

    async def award_points(self, member_id, company_id, points, reason, idempotency_key):  # type: ignore[no-untyped-def]
        if idempotency_key in self.keys:
            return False
        self.keys[idempotency_key] = points
        return True


async def test_too_small_target_unknown_company_and_segment_store_nothing(db):
    await members(db, 4)
    surveys = SurveyService(db, min_audience=5)
    with pytest.raises(AudienceTooSmall):
        await surveys.create(spec())
    with pytest.raises(UnknownCompany):
        await surveys.create(spec(company="nope"))
    with pytest.raises(InvalidSurvey):
        await surveys.create(spec(segment="loyal"))
    assert await surveys.all() == []


async def test_queue_claim_settle_and_crash_window(db):
    ids = await members(db, 6)
    surveys, outbox = SurveyService(db, min_audience=5), Outbox(db, lease=timedelta(seconds=30))
    survey_id = await surveys.create(spec())
    assert await surveys.queue(survey_id) == 6
    first = await outbox.claim("w1")
    assert first is not None and first.chat_id == ids[0]
    assert await outbox.sent(first, "w1")
    # Died after Telegram's answer, before the settle: the claim stays 'sending'.
    crashed = await outbox.claim("w1")
    later = datetime.now(UTC) + timedelta(seconds=31)
    assert await outbox.expire(later) == 1
    # The in-doubt row is never handed out again, the others are.
    rest = [await outbox.claim("w2", later) for _ in range(4)]
    assert crashed.delivery_id not in {c.delivery_id for c in rest}
    assert await outbox.claim("w2", later) is None
    counts = await surveys.progress(survey_id)
    assert counts["in_doubt"] == 1 and counts["sent"] == 1 and counts["sending"] == 4


async def test_retry_backs_off_then_fails_with_the_reason(db):
    await members(db, 5)
    surveys, outbox = SurveyService(db), Outbox(db, max_attempts=2)
    survey_id = await surveys.create(spec())
    await surveys.queue(survey_id)
    claim = await outbox.claim("w")
    assert await outbox.retry(claim, "w", "Bad Request: boom") == m.PENDING
    far = datetime.now(UTC) + timedelta(hours=1)
    again = await outbox.claim("w", far)
    while again.delivery_id != claim.delivery_id:
        again = await outbox.claim("w", far)
    assert await outbox.retry(again, "w", "Bad Request: boom") == m.FAILED
    assert (await surveys.progress(survey_id))["failed"] == 1


async def test_answers_all_kinds_stale_buttons_and_one_reward(db):
    await members(db, 5)
    ledger = FakeLedger()
    surveys, outbox, answers = SurveyService(db), Outbox(db), AnswerService(db, ledger)
    survey_id = await surveys.create(spec())
    await surveys.queue(survey_id)
    claim = await outbox.claim("w")
    await outbox.sent(claim, "w")
    member = claim.member_id
    assert await answers.answer(member, survey_id, 1, 0) is None  # not yet at question 2
    assert (await answers.answer(member, survey_id, 0, 4)).position == 1
    assert await answers.answer(member, survey_id, 0, 5) is None  # an old button again
    assert await answers.answer(member, survey_id + 99, 1, 0) is None  # another survey
    await answers.answer(member, survey_id, 1, 2)
    assert (await answers.toggle(member, survey_id, 2, 0)).picked == {0}
    assert (await answers.toggle(member, survey_id, 2, 2)).picked == {0, 2}
    await answers.answer(member, survey_id, 2)
    assert (await answers.awaiting_text(member)).position == 3
    done = await answers.answer(member, survey_id, 3, "More oat milk")
    assert done.completed
    assert await answers.answer(member, survey_id, 3, "again") is None
    await answers.credit(survey_id, member)  # a second try after a crash changes nothing
    assert ledger.keys == {f"survey:{survey_id}:member:{member}": 50}
    with pytest.raises(TooFewAnswers):
        await ResultsService(db, 5).results(survey_id)
    results = await ResultsService(db, 1).results(survey_id)
    assert results.questions[0].mean == 4
    assert [n for _, n, _ in results.questions[2].counts] == [1, 0, 1]
    assert "Cappuccino" in results.csv() and str(claim.chat_id) not in results.csv()


@pytest.mark.postgres
async def test_two_drainers_on_postgres_never_take_the_same_row(pg_database):
    engines = [create_engine(pg_database) for _ in range(2)]
    dbs = [create_sessionmaker(e) for e in engines]
    try:
        await members(dbs[0], 40)
        surveys = SurveyService(dbs[0])
        survey_id = await surveys.create(spec())
        await surveys.queue(survey_id)

        async def drain(db, worker: str) -> list[int]:  # type: ignore[no-untyped-def]
            outbox, taken = Outbox(db), []
            while (claim := await outbox.claim(worker)) is not None:
                taken.append(claim.delivery_id)
                await asyncio.sleep(0.001)  # a send
                assert await outbox.sent(claim, worker)
            return taken

        a, b = await asyncio.gather(drain(dbs[0], "a"), drain(dbs[1], "b"))
        assert a and b and not set(a) & set(b) and len(a) + len(b) == 40
        async with dbs[0]() as session:
            statuses = (await session.scalars(select(m.SurveyDelivery.status))).all()
        assert statuses == [m.SENT] * 40
    finally:
        for engine in engines:
            await engine.dispose()
