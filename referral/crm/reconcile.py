"""The reconcile: what a CRM webhook missed costs a delay, never an outcome.

amoCRM's digital-pipeline webhook is sent once and never retried, so every
few minutes the statuses of the deals refbot follows there are read back
(``/api/v4/leads``, 50 ids a request) and the closed ones settled. Events of
either CRM whose processing never finished are taken again too. Run under a
job lease, so one process does it per tick.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from referral.crm.deals import OPEN, CrmUnavailable
from referral.crm.inbound import CrmInbound

log = logging.getLogger(__name__)

STALE = timedelta(minutes=1)


@dataclass(frozen=True)
class ReconcileReport:
    events: int  # unfinished events processed again
    closed: int  # followed amoCRM deals found won or lost


async def reconcile(inbound: CrmInbound) -> ReconcileReport:
    events = 0
    for event_id in await inbound.stale_events(STALE):
        events += await inbound.process(event_id) != "received"
    closed = 0
    for connection in await inbound.connections.of_kind("amocrm"):
        deal_ids = await inbound.open_deals(connection.id)
        if not deal_ids:
            continue
        try:
            deals = await inbound.read_deals(connection, deal_ids)
        except CrmUnavailable as error:
            log.warning("reconcile of %s: %s", connection.public_id, error)
            continue
        for deal in deals:
            if deal.state != OPEN:
                await inbound.settle(connection, deal)
                closed += 1
    return ReconcileReport(events, closed)
