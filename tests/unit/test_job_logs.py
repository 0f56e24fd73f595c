"""Job logs: designed overlaps and a cancelled job at shutdown are not reported as trouble."""

from __future__ import annotations

import asyncio
import logging
import sys

from bot.jobs import ExpectedJobNoise


def record(message: str, error: BaseException | None = None) -> logging.LogRecord:
    exc_info = None
    if error is not None:
        try:
            raise error
        except BaseException:  # noqa: BLE001 - building a record as APScheduler does
            exc_info = sys.exc_info()
    return logging.LogRecord("apscheduler", logging.ERROR, __file__, 1, message, (), exc_info)


def test_designed_overlaps_are_quiet_and_other_skips_are_not():
    noise = ExpectedJobNoise()
    skipped = 'Execution of job "{}" skipped: maximum number of running instances reached (1)'
    assert not noise.filter(record(skipped.format("SurveyDrainer.drain (trigger: ...)")))
    assert not noise.filter(record(skipped.format("SurveyDrainer.refresh_progress (...)")))
    assert noise.filter(record(skipped.format("PointExpiry.remind (trigger: ...)")))


def test_a_job_cancelled_at_shutdown_is_quiet_and_a_failing_job_is_not():
    noise = ExpectedJobNoise()
    assert not noise.filter(record('Job "x" raised an exception', asyncio.CancelledError()))
    assert noise.filter(record('Job "x" raised an exception', RuntimeError("database gone")))
