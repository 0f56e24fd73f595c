"""The CRM jobs, each behind its job lease (one process per tick):

- ``crm-push`` every 30 s: leads just delivered are created in the partner's
  connected CRM (referral/crm/outbound.py);
- ``crm-reconcile`` every 3 minutes: the deals refbot follows are read back, so
  a webhook the CRM never sent (amoCRM sends each once, never again) costs a
  delay, never an outcome (referral/crm/reconcile.py).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.jobs.periodic import Periodic
from referral.crm.reconcile import reconcile

if TYPE_CHECKING:
    from refbot.services import Services

log = logging.getLogger(__name__)

PUSH_EVERY = timedelta(seconds=30)
RECONCILE_EVERY = timedelta(minutes=3)


async def push_leads(services: Services) -> str:
    report = await services.crm_pushes.run()
    if report.queued or report.created or report.waiting or report.failed:
        log.info("CRM push: %s", report)
    return str(report)


async def reconcile_deals(services: Services) -> str:
    report = await reconcile(services.crm_inbound)
    if report.events or report.closed:
        log.info("CRM reconcile: %s", report)
    return str(report)


def crm_jobs(services: Services) -> list[Periodic]:
    return [
        Periodic("crm-push", push_leads, PUSH_EVERY, (services,)),
        Periodic("crm-reconcile", reconcile_deals, RECONCILE_EVERY, (services,)),
    ]
