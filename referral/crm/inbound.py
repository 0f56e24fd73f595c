"""Inbound CRM calls: recorded first, then the deal read back and settled.

A call is answered as soon as it is recorded (CRMs give a webhook a few
seconds); reading the deal back, with the CRM's rate-limit waits, happens
after. An event left ``received`` (the process stopped in between, or the CRM
was unavailable) is taken again by the reconcile. Settling is idempotent: the
purchase carries the deal as its purchase id, and a followed deal moves from
open to won or lost once (referral/crm/settle.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.crm.amocrm import AmoCrmAccount
from referral.crm.bitrix24 import Bitrix24Portal
from referral.crm.connections import Connection, CrmConnections
from referral.crm.deals import OPEN, CrmUnavailable, DealState
from referral.crm.models import CrmDeal, CrmEvent, CrmPush
from referral.crm.settle import DealSettler
from referral.leads.service import LeadService
from referral.leads.states import DELIVERED
from referral.ledger.purchase_reports import PurchaseReports
from referral.offers.models import Lead

log = logging.getLogger(__name__)

RECEIVED, APPLIED, FAILED = "received", "applied", "failed"


class CrmInbound:
    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        connections: CrmConnections,
        purchases: PurchaseReports,
        leads: LeadService,
        *,
        backoff: float = 1.0,
    ) -> None:
        self.db = db
        self.connections = connections
        self.settler = DealSettler(db, purchases, leads)
        self.backoff = backoff  # the CRMs' rate-limit waits scale with it (tests: tiny)

    async def record(self, connection: Connection, event_key: str, deal_id: str) -> int | None:
        """The new event's id; None when this very call was recorded already."""
        try:
            async with self.db.begin() as session:
                event = CrmEvent(
                    connection_id=connection.id,
                    event_key=event_key[:96],
                    deal_id=deal_id,
                    received_at=datetime.now(UTC),
                    status=RECEIVED,
                    detail="",
                )
                session.add(event)
                await session.flush()
                return event.id
        except IntegrityError:
            return None

    async def process(self, event_id: int) -> str:
        """Read the event's deal back and settle it; the event's new status."""
        async with self.db() as session:
            event = await session.get(CrmEvent, event_id)
            if event is None or event.status != RECEIVED:
                return event.status if event else FAILED
            connection_id, deal_id = event.connection_id, event.deal_id
        connection = await self.connections.by_id(connection_id)
        try:
            deal = await self.read_deal(connection, deal_id)
        except CrmUnavailable as error:
            log.warning("CRM %s event %s: %s", connection.public_id, event_id, error)
            return RECEIVED  # taken again by the reconcile
        detail = await self.settle(connection, deal) if deal else "the CRM has no such deal"
        await self._mark(event_id, APPLIED if deal else FAILED, detail)
        return APPLIED if deal else FAILED

    async def read_deal(self, connection: Connection, deal_id: str) -> DealState | None:
        """The deal a webhook named (Bitrix24: crm.deal.get); None when the CRM has none."""
        if connection.kind == "bitrix24":
            settings = connection.settings
            portal = Bitrix24Portal(settings["portal_webhook"], backoff=self.backoff)
            return await portal.deal(deal_id, settings["member_field"])
        found = await self.read_deals(connection, [deal_id])
        return found[0] if found else None

    async def read_deals(self, connection: Connection, deal_ids: list[str]) -> list[DealState]:
        """The deals among ``deal_ids`` as the CRM has them now (absent ones left out)."""
        settings = connection.settings
        if connection.kind == "bitrix24":
            portal = Bitrix24Portal(settings["portal_webhook"], backoff=self.backoff)
            return await portal.deals(deal_ids, settings["member_field"])
        account = AmoCrmAccount(settings["api_base"], settings["token"], backoff=self.backoff)
        return await account.deals(deal_ids, int(settings["member_field_id"]))

    async def converted_deals(
        self, connection: Connection, crm_leads: list[str]
    ) -> list[DealState]:
        """Bitrix24 deals converted from the CRM leads ``crm_leads`` (crm.deal.list by LEAD_ID)."""
        settings = connection.settings
        portal = Bitrix24Portal(settings["portal_webhook"], backoff=self.backoff)
        return await portal.deals(crm_leads, settings["member_field"], by="LEAD_ID")

    async def open_crm_leads(self, connection_id: int) -> list[str]:
        """The CRM ids of leads refbot created there as leads, whose outcome is still due."""
        async with self.db() as session:
            rows = await session.scalars(
                select(CrmPush.external_id)
                .join(Lead, Lead.id == CrmPush.lead_id)
                .where(
                    CrmPush.connection_id == connection_id,
                    CrmPush.entity == "lead",
                    Lead.status == DELIVERED,
                )
            )
            return [external for external in rows if external]

    async def settle(self, connection: Connection, deal: DealState) -> str:
        """Follow an open deal; a closed one becomes card, lead outcome and purchase, once."""
        return await self.settler.settle(connection, deal)

    async def _mark(self, event_id: int, status: str, detail: str) -> None:
        async with self.db.begin() as session:
            await session.execute(
                update(CrmEvent)
                .where(CrmEvent.id == event_id)
                .values(status=status, detail=detail[:300])
            )

    async def stale_events(self, older_than: timedelta) -> list[tuple[int, int]]:
        """(event id, connection id) of the events still ``received`` after
        ``older_than``: their processing never finished. Oldest first."""
        async with self.db() as session:
            rows = await session.execute(
                select(CrmEvent.id, CrmEvent.connection_id)
                .where(
                    CrmEvent.status == RECEIVED,
                    CrmEvent.received_at <= datetime.now(UTC) - older_than,
                )
                .order_by(CrmEvent.id)
            )
            return [(event_id, connection_id) for event_id, connection_id in rows]

    async def open_deals(self, connection_id: int) -> list[str]:
        async with self.db() as session:
            rows = await session.scalars(
                select(CrmDeal.external_id).where(
                    CrmDeal.connection_id == connection_id, CrmDeal.state == OPEN
                )
            )
            return list(rows)
