"""The workspace's analytics jobs: the rollup every few minutes, the snapshots
every night (they fit segments and churn models: minutes at a bank's scale),
and the week's insights to each partner admin on Monday morning."""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiolimiter import AsyncLimiter
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.jobs.periodic import Periodic
from bot.keyboards.workspace import workspace_keyboard
from bot.texts import texts_for
from referral.leases import leased

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


async def send_weekly_insights(services: Services, bot: Bot, now: datetime | None = None) -> int:
    """Each partner admin gets their company's insights of the week, once."""
    limiter = AsyncLimiter(services.settings.broadcast_rate, 1)
    public_url = services.settings.public_url
    sent = 0
    for note in await services.weekly_insights.claim(now):
        texts = texts_for(note.language)
        lines = [texts("workspace.insights_header", company=escape(note.company))]
        lines += [f"• {escape(line)}" for line in note.lines]
        lines.append(texts("workspace.insights_footer"))
        async with limiter:
            # A partner admin who blocked the bot or never opened it is skipped.
            with suppress(TelegramForbiddenError, TelegramBadRequest):
                await bot.send_message(
                    note.telegram_id,
                    "\n".join(lines),
                    reply_markup=workspace_keyboard(texts, public_url) if public_url else None,
                )
                sent += 1
    return sent


def analytics_jobs(services: Services) -> list[Periodic]:
    return [
        Periodic("analytics-rollup", refresh_rollup, timedelta(minutes=ROLLUP_MINUTES), (services,))
    ]


def schedule_analytics_jobs(scheduler: AsyncIOScheduler, services: Services, bot: Bot) -> None:
    """The nightly snapshots and the weekly insights: cron jobs, each behind a
    lease of its period like the periodic ones, so one process runs each."""
    scheduler.add_job(
        leased(
            services.leases, "analytics-weekly-insights", timedelta(days=7), send_weekly_insights
        ),
        "cron",
        day_of_week="mon",
        hour=10,
        minute=0,
        timezone=services.settings.zone,
        args=[services, bot],
        id="analytics-weekly-insights",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        leased(services.leases, "analytics-snapshots", timedelta(days=1), rebuild_snapshots),
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
