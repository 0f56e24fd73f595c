"""A lead's states and the one way a lead moves: a conditional UPDATE plus its
transition row, in the caller's transaction.

    pending -> processed -> waiting -> offered -> accepted -> delivered -> won | lost
    rejected and expired end a lead early.

The UPDATE names the state the lead must still be in, so of two processes (or
a process and its restart after a SIGKILL) moving the same lead, exactly one
moves it and writes the transition; the other sees rowcount 0 and does nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from referral.errors import DomainError
from referral.leads.models import LeadTransition
from referral.offers.models import Lead

PENDING, PROCESSED, WAITING, OFFERED = "pending", "processed", "waiting", "offered"
ACCEPTED, DELIVERED, WON, LOST = "accepted", "delivered", "won", "lost"
REJECTED, EXPIRED = "rejected", "expired"

STATES = (PENDING, PROCESSED, WAITING, OFFERED, ACCEPTED, DELIVERED, WON, LOST, REJECTED, EXPIRED)
FINAL = frozenset({WON, LOST, REJECTED, EXPIRED})
# What a partner may see: the member said yes, so the partner learns of them.
VISIBLE_TO_PARTNER = (DELIVERED, WON, LOST)

NEXT: dict[str, frozenset[str]] = {
    PENDING: frozenset({PROCESSED, REJECTED, EXPIRED}),
    PROCESSED: frozenset({WAITING, REJECTED, EXPIRED}),
    # A waiting lead's offer can be answered in /offers before the bot sends it.
    WAITING: frozenset({OFFERED, ACCEPTED, REJECTED, EXPIRED}),
    OFFERED: frozenset({ACCEPTED, REJECTED, EXPIRED}),
    ACCEPTED: frozenset({DELIVERED}),
    DELIVERED: frozenset({WON, LOST}),
}


class IllegalTransition(DomainError):
    """A move the state machine does not have (a bug, never user input)."""


class LeadMoved(DomainError):
    """The lead is no longer in the state the caller saw (someone else moved it)."""


async def move(
    session: AsyncSession,
    lead_id: int,
    from_status: str,
    to_status: str,
    reason: str,
    now: datetime,
    **values: object,
) -> bool:
    """Move one lead if it is still ``from_status``; True when this call moved it."""
    if to_status not in NEXT.get(from_status, ()):
        raise IllegalTransition(f"{from_status} -> {to_status}")
    result = await session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.status == from_status)
        .values(status=to_status, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    session.add(
        LeadTransition(
            lead_id=lead_id,
            from_status=from_status,
            to_status=to_status,
            reason=reason[:200],
            at=now,
        )
    )
    return True


def entered(lead_id: int, status: str, reason: str, now: datetime) -> LeadTransition:
    """The first transition row of a lead created directly in ``status``."""
    return LeadTransition(
        lead_id=lead_id, from_status=None, to_status=status, reason=reason[:200], at=now
    )
