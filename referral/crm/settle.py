"""A CRM deal that reached won or lost, settled once: a client card, the lead's
outcome, the purchase.

Each step is the same public path a partner's own integration takes
(``receive_card`` is ``POST /api/v1/client-cards``, ``report_outcome`` is
``POST /leads/{id}/outcome``, the purchase is ``POST /purchases``) and each is
idempotent on the deal, so a settle taken again after a crash (the followed
deal still open) repeats nothing. The lead a deal settles is bound on the
followed deal *before* its outcome is reported: taken again, the settle reports
that same lead, never the member's next delivered one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.crm.connections import Connection
from referral.crm.deals import OPEN, WON, DealState
from referral.crm.models import CrmDeal
from referral.crm.outbound import lead_of_crm_lead
from referral.errors import DomainError
from referral.leads.cards import CardIn, receive_card
from referral.leads.service import LeadService
from referral.leads.states import DELIVERED
from referral.ledger.catalogue_models import Service
from referral.ledger.purchase_reports import PurchaseReports, ReportedPurchase
from referral.models import Member
from referral.offers.models import Lead


class DealSettler:
    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        purchases: PurchaseReports,
        leads: LeadService,
    ) -> None:
        self.db, self.purchases, self.leads = db, purchases, leads

    async def settle(self, connection: Connection, deal: DealState) -> str:
        """Follow an open deal; turn a closed one into card, outcome and purchase, once."""
        async with self.db() as session:
            followed = await followed_deal(session, connection.id, deal.external_id)
        if followed is not None and followed.state != OPEN:
            return f"already {followed.state}"
        if deal.state == OPEN:
            await self._follow(connection.id, deal.external_id, OPEN)
            return "deal open"
        lead_id, member = await self._bind_lead(connection, deal)
        done = [f"deal {deal.state}"]
        done.append(await self._card(connection, deal, member))
        if lead_id is not None:
            done.append(await self._outcome(connection, deal, lead_id))
        if deal.state == WON and member and deal.amount_minor > 0:
            done.append(await self._purchase(connection, deal, member))
        await self._follow(connection.id, deal.external_id, deal.state)
        return "; ".join(done)

    async def _bind_lead(
        self, connection: Connection, deal: DealState
    ) -> tuple[int | None, str | None]:
        """The refbot lead this deal settles (kept on the followed deal) and its member code."""
        async with self.db.begin() as session:
            followed = await followed_deal(session, connection.id, deal.external_id)
            if followed is None:
                followed = CrmDeal(
                    connection_id=connection.id,
                    external_id=deal.external_id,
                    state=OPEN,
                    updated_at=datetime.now(UTC),
                )
                session.add(followed)
            if followed.lead_id is None and deal.source_lead_id:  # a lead refbot created there
                followed.lead_id = await lead_of_crm_lead(
                    session, connection.id, deal.source_lead_id
                )
            if followed.lead_id is None and deal.member_code:
                followed.lead_id = await _delivered_lead(
                    session, connection.company_id, deal.member_code, connection.settings["service"]
                )
            await session.flush()
            member = deal.member_code
            if followed.lead_id is not None:
                member = await session.scalar(
                    select(Member.pseudonym)
                    .join(Lead, Lead.member_id == Member.id)
                    .where(Lead.id == followed.lead_id)
                )
            return followed.lead_id, member

    async def _card(self, connection: Connection, deal: DealState, member: str | None) -> str:
        card = CardIn(
            external_id=f"{connection.kind}-{deal.external_id}",
            service_codes=(connection.settings["service"],),
            amount_minor=deal.amount_minor,
            won=deal.state == WON,
            member_code=member,
            source=connection.kind,
        )
        try:
            receipt = await receive_card(self.db, connection.company_id, card)
        except DomainError as error:  # the service left the catalogue: recorded, not retried
            return f"no card: {error}"[:200]
        return f"card {receipt.card_id}"

    async def _outcome(self, connection: Connection, deal: DealState, lead_id: int) -> str:
        won = deal.state == WON
        try:
            await self.leads.report_outcome(
                connection.company_id, lead_id, won, deal.amount_minor if won else None
            )
        except DomainError as error:  # the lead has the other outcome already
            return f"lead {lead_id} not reported: {error}"[:200]
        return f"lead {lead_id} {deal.state}"

    async def _purchase(self, connection: Connection, deal: DealState, member: str) -> str:
        reported = ReportedPurchase(
            purchase_id=f"{connection.kind}-{deal.external_id}",
            member=member,
            service=connection.settings["service"],
            amount_minor=deal.amount_minor,
            at=deal.closed_at or datetime.now(UTC),
        )
        try:
            await self.purchases.record(connection.company_id, [reported])
        except DomainError as error:  # unknown member, short deposit: recorded, not retried
            return f"no purchase: {error}"[:200]
        return "purchase recorded"

    async def _follow(self, connection_id: int, external_id: str, state: str) -> None:
        now = datetime.now(UTC)
        async with self.db.begin() as session:
            followed = await followed_deal(session, connection_id, external_id)
            if followed is None:
                session.add(
                    CrmDeal(
                        connection_id=connection_id,
                        external_id=external_id,
                        state=state,
                        updated_at=now,
                    )
                )
            elif followed.state == OPEN:
                followed.state, followed.updated_at = state, now


async def followed_deal(
    session: AsyncSession, connection_id: int, external_id: str
) -> CrmDeal | None:
    return await session.scalar(
        select(CrmDeal).where(
            CrmDeal.connection_id == connection_id, CrmDeal.external_id == external_id
        )
    )


async def _delivered_lead(
    session: AsyncSession, company_id: int, member_code: str, service_code: str
) -> int | None:
    """The member's newest lead delivered to the company, of the connection's service first."""
    rows = (
        await session.execute(
            select(Lead.id, Service.code)
            .join(Member, Member.id == Lead.member_id)
            .join(Service, Service.id == Lead.service_id)
            .where(
                Lead.company_id == company_id,
                Lead.status == DELIVERED,
                Member.pseudonym == member_code,
            )
            .order_by(Lead.id.desc())
        )
    ).all()
    same_service = [lead_id for lead_id, code in rows if code == service_code]
    return (same_service or [lead_id for lead_id, _ in rows] or [None])[0]
