"""Scheduled jobs of the running bot (APScheduler, in memory).

Jobs are rebuilt from database state at every start, so nothing is pickled
and no job store is shared between processes. Each feature adds its jobs here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler

if TYPE_CHECKING:
    from bot.services import Services


def schedule_jobs(scheduler: AsyncIOScheduler, services: Services, bot: Bot) -> None:
    scheduler.add_job(
        services.updates.prune, "interval", hours=6, id="prune-updates", replace_existing=True
    )
    from bot.survey_outbox import schedule_survey_jobs

    schedule_survey_jobs(scheduler, services)
    from bot.ledger_jobs import schedule_ledger_jobs

    schedule_ledger_jobs(scheduler, services, bot)
    from bot.offer_jobs import schedule_offer_jobs

    schedule_offer_jobs(scheduler, services, bot)


async def stop_jobs(services: Services) -> None:
    """Let jobs that send finish cleanly when the bot stops."""
    drainer = getattr(services, "survey_drainer", None)
    if drainer is not None:
        await drainer.stop()
