"""Scheduled jobs of the running bot (APScheduler, in memory).

Jobs are rebuilt from database state at every start, so nothing is pickled
and no job store is shared between processes. Each feature adds its jobs here.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.jobs.periodic import Periodic
from referral.leases import leased

if TYPE_CHECKING:
    from refbot.services import Services


# Jobs that run until their work is done, so the next tick finding one still
# running is the design (a drain delivering a survey; a progress edit waiting
# behind a burst for the database), not worth a warning a second.
MAY_OVERLAP = ("SurveyDrainer.drain", "SurveyDrainer.refresh_progress")


class ExpectedJobNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "maximum number of running instances" in message:
            return not any(name in message for name in MAY_OVERLAP)
        # Stopping the bot cancels a job that is mid-run; APScheduler reports
        # that as the job raising, with a traceback, though nothing failed.
        cancelled = record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError)
        return not cancelled


_JOB_NOISE = ExpectedJobNoise()  # one instance: adding it again is a no-op


def periodic_jobs(services: Services, bot: Bot) -> list[Periodic]:
    """Every job that must run once per tick across processes."""
    from bot.jobs.analytics import analytics_jobs
    from bot.jobs.crm import crm_jobs
    from bot.jobs.leads import lead_jobs
    from bot.jobs.ledger import ledger_jobs
    from bot.jobs.offers import offer_jobs
    from bot.jobs.survey_outbox import survey_jobs

    return [
        Periodic("prune-updates", services.updates.prune, timedelta(hours=6)),
        *survey_jobs(services),
        *ledger_jobs(services, bot),
        *offer_jobs(services, bot),
        *analytics_jobs(services),
        *lead_jobs(services, bot),
        *crm_jobs(services),
    ]


def add_periodic(scheduler: AsyncIOScheduler, services: Services, periodic: Periodic) -> None:
    """Every ``periodic.interval``, behind its lease; one run at a time in this process."""
    scheduler.add_job(
        leased(services.leases, periodic.name, periodic.interval, periodic.job),
        "interval",
        seconds=periodic.interval.total_seconds(),
        args=list(periodic.args),
        id=periodic.name,
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )


def schedule_jobs(scheduler: AsyncIOScheduler, services: Services, bot: Bot) -> None:
    for name in ("apscheduler.scheduler", "apscheduler.executors.default"):
        logging.getLogger(name).addFilter(_JOB_NOISE)
    for periodic in periodic_jobs(services, bot):
        add_periodic(scheduler, services, periodic)
    # The outbox drain and progress edits run in every process: rows are
    # claimed with FOR UPDATE SKIP LOCKED, so more processes send faster.
    from bot.jobs.survey_outbox import schedule_survey_jobs

    schedule_survey_jobs(scheduler, services)
    from bot.jobs.leads import schedule_webhook_drain

    schedule_webhook_drain(scheduler, services)
    from bot.jobs.analytics import schedule_analytics_jobs

    schedule_analytics_jobs(scheduler, services, bot)


async def stop_jobs(services: Services) -> None:
    """Let jobs that send finish cleanly when the bot stops."""
    drainer = getattr(services, "survey_drainer", None)
    if drainer is not None:
        await drainer.stop()
