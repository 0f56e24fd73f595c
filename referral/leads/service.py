"""LeadService: what the bot, the CLI and the HTTP API ask of the leads.

A company reads only its own leads and only from *delivered* on; any other
id is ``LeadNotFound`` (the API's 404, so a key learns nothing about other
companies). Pages are keyset cursors on the lead id (newest first), so a page
costs the same however many leads the company has.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.errors import DomainError, NotFound
from referral.leads import states
from referral.leads.cards import CardIn, CardReceipt, receive_card
from referral.leads.delivery import PartnerLead, partner_lead, partner_leads_query
from referral.leads.models import LeadOutcome, LeadTransition
from referral.offers.models import Lead


class LeadNotFound(NotFound):
    """No such lead of this company (or not delivered to it yet): the API's 404."""


class OutcomeConflict(DomainError):
    """The lead already has the other outcome."""

    def __init__(self, lead_id: int, recorded: str, reported: str) -> None:
        self.lead_id, self.recorded, self.reported = lead_id, recorded, reported
        super().__init__(
            f"lead {lead_id} is already {recorded}; an outcome, once reported, stays: "
            f"it cannot become {reported}"
        )


def _same_outcome(lead: PartnerLead, outcome: str) -> PartnerLead:
    """The lead as first reported when ``outcome`` repeats it; OutcomeConflict otherwise."""
    if lead.status != outcome:
        raise OutcomeConflict(lead.id, lead.status, outcome)
    return lead


class InvalidCursor(DomainError):
    """The cursor is not one this API handed out."""


class UnknownStatus(DomainError):
    """Not a lead status a partner can filter by."""


@dataclass(frozen=True)
class LeadPage:
    leads: list[PartnerLead]
    next_cursor: str | None


@dataclass(frozen=True)
class OperatorLead:
    id: int
    status: str
    service_id: int | None
    member_id: int
    probability: float | None
    created_at: datetime


@dataclass(frozen=True)
class TransitionView:
    from_status: str | None
    to_status: str
    reason: str
    at: datetime


def encode_cursor(lead_id: int) -> str:
    return base64.urlsafe_b64encode(f"l{lead_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("l") or not raw[1:].isdigit() or len(raw) > 20:
            raise ValueError(raw)
        return int(raw[1:])
    except (ValueError, UnicodeDecodeError):
        raise InvalidCursor(f"invalid cursor {cursor[:40]!r}") from None


class LeadService:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def receive_card(
        self, company_id: int, card: CardIn, now: datetime | None = None
    ) -> CardReceipt:
        return await receive_card(self.db, company_id, card, now)

    async def page(
        self,
        company_id: int,
        status: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> LeadPage:
        if status is not None and status not in states.VISIBLE_TO_PARTNER:
            raise UnknownStatus(f"status must be one of {', '.join(states.VISIBLE_TO_PARTNER)}")
        query = partner_leads_query().where(Lead.company_id == company_id)
        if status is not None:
            query = query.where(Lead.status == status)
        if cursor:
            query = query.where(Lead.id < decode_cursor(cursor))
        async with self.db() as session:
            rows = (await session.execute(query.order_by(Lead.id.desc()).limit(limit + 1))).all()
        leads = [partner_lead(row) for row in rows[:limit]]
        more = len(rows) > limit
        return LeadPage(leads, encode_cursor(leads[-1].id) if more else None)

    async def get(self, company_id: int, lead_id: int) -> PartnerLead:
        async with self.db() as session:
            return await _visible(session, company_id, lead_id)

    async def report_outcome(
        self,
        company_id: int,
        lead_id: int,
        won: bool,
        amount_minor: int | None = None,
        now: datetime | None = None,
    ) -> PartnerLead:
        """won (+1, with the amount) or lost (-1); the same report again changes nothing."""
        now = now or datetime.now(UTC)
        outcome = states.WON if won else states.LOST
        async with self.db.begin() as session:
            lead = await _visible(session, company_id, lead_id)
            if lead.status in (states.WON, states.LOST):
                return _same_outcome(lead, outcome)
            moved = await states.move(
                session,
                lead_id,
                states.DELIVERED,
                outcome,
                f"partner reported {outcome}",
                now,
            )
            if not moved:  # another request reported it a moment ago: its answer stands
                return _same_outcome(await _visible(session, company_id, lead_id), outcome)
            session.add(
                LeadOutcome(
                    lead_id=lead_id,
                    value=1 if won else -1,
                    amount_minor=amount_minor if won else None,
                    at=now,
                )
            )
            return await _visible(session, company_id, lead_id)

    async def funnel(self, company_id: int) -> dict[str, int]:
        """The company's leads by state, every state named (0 when none); a lead
        counts for a company once the pipeline chose that company's offer."""
        async with self.db() as session:
            counts = dict(
                (
                    await session.execute(
                        select(Lead.status, func.count())
                        .where(Lead.company_id == company_id)
                        .group_by(Lead.status)
                    )
                ).all()
            )
        return {state: int(counts.get(state, 0)) for state in states.STATES}

    async def of_company(self, company_id: int, status: str | None = None, limit: int = 50):  # type: ignore[no-untyped-def]
        """Every lead of the company in any state, newest first (the operator's view)."""
        query = select(
            Lead.id, Lead.status, Lead.service_id, Lead.member_id, Lead.probability, Lead.created_at
        ).where(Lead.company_id == company_id)
        if status is not None:
            query = query.where(Lead.status == status)
        async with self.db() as session:
            rows = (await session.execute(query.order_by(Lead.id.desc()).limit(limit))).all()
        return [OperatorLead(*row) for row in rows]

    async def history(self, lead_id: int) -> list[TransitionView]:
        async with self.db() as session:
            rows = (
                await session.execute(
                    select(
                        LeadTransition.from_status,
                        LeadTransition.to_status,
                        LeadTransition.reason,
                        LeadTransition.at,
                    )
                    .where(LeadTransition.lead_id == lead_id)
                    .order_by(LeadTransition.id)
                )
            ).all()
        return [TransitionView(*row) for row in rows]


async def _visible(session: AsyncSession, company_id: int, lead_id: int) -> PartnerLead:
    row = (
        await session.execute(
            partner_leads_query().where(Lead.id == lead_id, Lead.company_id == company_id)
        )
    ).first()
    if row is None:
        raise LeadNotFound(f"no lead {lead_id}")
    return partner_lead(row)
