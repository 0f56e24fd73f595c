"""The reconcile: what a CRM webhook missed costs a delay, never an outcome.

amoCRM's digital-pipeline webhook is sent once and never retried, and a
Bitrix24 outgoing webhook can be lost as well, so every few minutes the deals
refbot follows in either CRM are read back, 50 ids a request (amoCRM
``/api/v4/leads?filter[id][]=``, Bitrix24 ``crm.deal.list`` filtered by
``@ID``), and the closed ones settled; so are the Bitrix24 deals converted from
leads refbot created there (``@LEAD_ID``), which no webhook may ever have
named. Events whose processing never finished are taken again too. Run as the
crm-reconcile job under its lease (bot/jobs/crm.py), so one process does it
per tick. A CRM that cannot be used (down, timing out, refusing) is asked once
a pass: its other events and its deals wait for the next pass, so a backlog of
events while it is down costs one request a pass, not one each.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from referral.crm.deals import OPEN, CrmUnavailable
from referral.crm.inbound import RECEIVED, CrmInbound

log = logging.getLogger(__name__)

STALE = timedelta(minutes=1)


@dataclass(frozen=True)
class ReconcileReport:
    events: int  # unfinished events processed again
    closed: int  # followed deals found won or lost


async def reconcile(inbound: CrmInbound) -> ReconcileReport:
    down: set[int] = set()  # connections that could not be used in this pass
    events = 0
    for event_id, connection_id in await inbound.stale_events(STALE):
        if connection_id in down:
            continue
        if await inbound.process(event_id) == RECEIVED:
            down.add(connection_id)  # still received: the CRM was unavailable
        else:
            events += 1
    closed = 0
    for connection in await inbound.connections.all():
        if connection.id in down:
            continue
        deal_ids = await inbound.open_deals(connection.id)
        crm_leads = await inbound.open_crm_leads(connection.id)
        if not (deal_ids or crm_leads):
            continue
        try:
            deals = await inbound.read_deals(connection, deal_ids) if deal_ids else []
            if crm_leads:  # Bitrix24 leads refbot created: the deals converted from them
                deals += await inbound.converted_deals(connection, crm_leads)
        except CrmUnavailable as error:
            log.warning("reconcile of %s: %s", connection.public_id, error)
            continue
        for deal in deals:
            if deal.state != OPEN:
                await inbound.settle(connection, deal)
                closed += 1
    return ReconcileReport(events, closed)
