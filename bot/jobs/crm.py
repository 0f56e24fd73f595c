"""The CRM reconcile every few minutes: amoCRM's webhook is sent once, never retried."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from referral.crm.reconcile import reconcile

if TYPE_CHECKING:
    from refbot.services import Services

RECONCILE_MINUTES = 3


def schedule_crm_jobs(scheduler: AsyncIOScheduler, services: Services) -> None:
    # Without a job lease on main yet, each bot process reconciles; settling is
    # idempotent (a deal closes once), so a second process only reads twice.
    async def run() -> None:
        await reconcile(services.crm_inbound)

    scheduler.add_job(
        run, "interval", minutes=RECONCILE_MINUTES, id="crm-reconcile", replace_existing=True
    )
