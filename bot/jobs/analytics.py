"""The workspace's analytics jobs: the rollup every few minutes, the snapshots
every night (they fit segments and churn models: minutes at a bank's scale)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

if TYPE_CHECKING:
    from refbot.services import Services

log = logging.getLogger(__name__)
ROLLUP_MINUTES = 10


async def refresh_rollup(services: Services) -> None:
    report = await services.analytics_job.refresh_rollup()
    if report.purchases_read:
        log.info("analytics rollup: %s purchases read", report.purchases_read)


async def rebuild_snapshots(services: Services) -> None:
    await services.analytics_job.run()


def schedule_analytics_jobs(scheduler: AsyncIOScheduler, services: Services) -> None:
    scheduler.add_job(
        refresh_rollup,
        "interval",
        minutes=ROLLUP_MINUTES,
        args=[services],
        id="analytics-rollup",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        rebuild_snapshots,
        "cron",
        hour=4,
        minute=20,
        timezone=services.settings.zone,
        args=[services],
        id="analytics-snapshots",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
