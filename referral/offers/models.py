"""Offer tables: shown offers, feedback, leads, per-company settings, segments,
cross-service links and the reminder log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from referral.db import Base, BigId

# ShownOffer.status
SHOWN, ACCEPTED, DECLINED = "shown", "accepted", "declined"
# ShownOffer.reason: why the member sees it
SIMILAR, CROSS, POPULAR, UPSELL = "similar", "cross", "popular", "upsell"
# Lead.status: the states are referral.leads.states; a card starts at pending
PENDING = "pending"
# ReminderLog.kind
REMINDER, RETENTION = "reminder", "retention"


class ShownOffer(Base):
    """One offer shown to one member; the buttons carry its id and the server
    re-checks owner and status, so a forged or replayed press changes nothing."""

    __tablename__ = "shown_offers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(10))
    related_service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    status: Mapped[str] = mapped_column(String(10), default=SHOWN)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the offer promised on top of the service's own price and cashback
    # (referral.offers.incentives), paid at the purchase (referral.offers.payouts).
    extra_cashback_bp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    spend_drop_bp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    usual_service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    usual_minor: Mapped[int | None] = mapped_column(BigInteger)


class OfferFeedback(Base):
    """+1 (accepted) or -1 (declined); one per shown offer."""

    __tablename__ = "offer_feedback"
    __table_args__ = (CheckConstraint("value IN (-1, 1)", name="value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("shown_offers.id"), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Lead(Base):
    """A lead: a client card's member on their way to another partner's offer,
    or a member who accepted an offer. States and moves: referral/leads/states.py.

    ``company_id`` and ``service_id`` are the partner product the pipeline
    picked (set from *waiting* on; an accepted offer has them at once).
    """

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("shown_offers.id"), unique=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("client_cards.id"), unique=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    probability: Mapped[float | None] = mapped_column(Float)  # P(accept) of the chosen offer
    candidates: Mapped[str | None] = mapped_column(Text)  # JSON, from processed to waiting
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # partner told


class OfferSettings(Base):
    """A company's relevance floor: offers scoring under it are not shown."""

    __tablename__ = "offer_settings"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    relevance_threshold: Mapped[float] = mapped_column(Float, default=0.0)


class MemberSegment(Base):
    """The K-Means segment a member fell in at the last training (for survey targeting)."""

    __tablename__ = "member_segments"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    segment: Mapped[str] = mapped_column(String(64), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CrossService(Base):
    """The operator's link: service A relates to service B (cold start)."""

    __tablename__ = "cross_services"
    __table_args__ = (
        UniqueConstraint("service_a_id", "service_b_id"),
        CheckConstraint("weight > 0", name="weight"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    service_a_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    service_b_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    weight: Mapped[float] = mapped_column(Float)


class ReminderLog(Base):
    """The last reminder (or retention offer) a member got, for "at most one a week"."""

    __tablename__ = "reminder_log"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
