"""The drainer's group commit: outcomes settled and claims made in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from referral.surveys import models as m
from referral.surveys.outbox import (
    SETTLE_RELEASE,
    SETTLE_RETRY,
    SETTLE_SENT,
    Outbox,
    Outcome,
)
from referral.surveys.service import SurveyService
from tests.surveys.factories import members, spec


async def test_one_transaction_settles_outcomes_and_claims_no_more_than_asked(db):
    await members(db, 6)
    surveys, outbox = SurveyService(db), Outbox(db)
    survey_id = await surveys.create(spec())
    await surveys.queue(survey_id)

    first = await outbox.settle_and_claim("w", [], 3)
    assert len(first) == 3
    sent, failed, flooded = first
    second = await outbox.settle_and_claim(
        "w",
        [
            Outcome(sent, SETTLE_SENT),
            Outcome(failed, SETTLE_RETRY, "Bad Request: boom"),
            Outcome(flooded, SETTLE_RELEASE),
        ],
        2,
    )
    counts = await surveys.progress(survey_id)
    assert counts[m.SENT] == 1 and counts[m.SENDING] == 2 and counts[m.PENDING] == 3
    # The released row (nothing was sent) is first in line again; sent and retried ones are not.
    assert flooded.delivery_id in {c.delivery_id for c in second}
    assert not {sent.delivery_id, failed.delivery_id} & {c.delivery_id for c in second}


async def test_another_workers_outcome_settles_nothing(db):
    await members(db, 5)
    surveys, outbox = SurveyService(db), Outbox(db)
    survey_id = await surveys.create(spec())
    await surveys.queue(survey_id)
    [claim] = await outbox.settle_and_claim("w1", [], 1)
    assert await outbox.settle_and_claim("w2", [Outcome(claim, SETTLE_SENT)], 0) == []
    assert (await surveys.progress(survey_id))[m.SENDING] == 1
    # Its lease runs out: in doubt, and never claimed again.
    later = datetime.now(UTC) + timedelta(minutes=2)
    assert await outbox.expire(later) == 1
    rest = await outbox.settle_and_claim("w1", [], 10, later)
    assert len(rest) == 4 and claim.delivery_id not in {c.delivery_id for c in rest}
