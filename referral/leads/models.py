"""Lead pipeline tables: client cards, transitions, outcomes, webhook
endpoints and deliveries, and the threads between partners and members.

The ``leads`` row itself is ``referral.offers.models.Lead`` (an accepted offer
was the first kind of lead); the pipeline adds its card, chosen offer and
probability to it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from referral.db import Base, BigId


class ClientCard(Base):
    """A client whose deal reached its last stage in a partner's CRM.

    ``member_id`` is set only when the member code named a live member; a card
    without one is kept as anonymous training data and never becomes a lead.
    ``external_id`` (the partner's own deal id) makes a resent card a no-op.
    """

    __tablename__ = "client_cards"
    __table_args__ = (UniqueConstraint("company_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(100))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    services: Mapped[str] = mapped_column(Text)  # service ids, comma-separated
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    deal_won: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(16))  # api, bitrix24, amocrm
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LeadTransition(Base):
    """One move of one lead: from, to, why, when. Append-only."""

    __tablename__ = "lead_transitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LeadOutcome(Base):
    """The partner's word on a delivered lead: won (+1, with the amount) or lost (-1).

    The recommender's feedback frame reads it beside the members' own answers.
    """

    __tablename__ = "lead_outcomes"
    __table_args__ = (CheckConstraint("value IN (-1, 1)", name="value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), unique=True)
    value: Mapped[int] = mapped_column(SmallInteger)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookEndpoint(Base):
    """A company's lead webhook; a 410 from it disables it."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(100))  # whsec_<base64>, shown once
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookDelivery(Base):
    """One event to one endpoint; the same ``message_id`` (webhook-id) on every retry.

    ``event_key`` makes the event idempotent (a second enqueue of the same
    lead's delivery is a no-op). ``next_attempt_at`` is also the claim: a
    sender moves it past its own timeout before it posts, so a sender killed
    mid-post leaves a row that comes due again.
    """

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    event_key: Mapped[str] = mapped_column(String(80), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), index=True)  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookAttempt(Base):
    """Every POST made: status code (or the error), when; the partner sees these."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LeadThread(Base):
    """A partner's conversation with the member of one delivered lead.

    The bot relays both ways; ``partner_chat_id`` is the admin who wrote last
    (where the member's replies go), erased with the thread by /forget.
    """

    __tablename__ = "lead_threads"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), unique=True)
    partner_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ThreadMessage(Base):
    __tablename__ = "thread_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("lead_threads.id"), index=True)
    from_member: Mapped[bool] = mapped_column(Boolean)
    text: Mapped[str | None] = mapped_column(Text)  # None once erased
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # relayed
