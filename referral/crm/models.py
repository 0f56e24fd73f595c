"""A company's CRM connection, the deals refbot follows there, and every inbound call."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from referral.db import Base, BigId


class CrmConnection(Base):
    """``settings`` is JSON and holds the partner's secrets (the Bitrix24 webhook
    URL and application token, the amoCRM token): never printed after connect,
    never logged. The inbound URL's token is kept only as its SHA-256."""

    __tablename__ = "crm_connections"
    __table_args__ = (UniqueConstraint("company_id", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(11), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    kind: Mapped[str] = mapped_column(String(16))  # bitrix24 or amocrm
    token_hash: Mapped[str] = mapped_column(String(64))
    settings: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CrmDeal(Base):
    """A deal refbot follows in the partner's CRM; ``state`` moves from open to
    won or lost once, which is what makes a repeated or late update change nothing.
    ``lead_id`` is the refbot lead the deal settles, bound before its outcome is
    reported, so a settle taken again after a crash reports the same lead."""

    __tablename__ = "crm_deals"
    __table_args__ = (UniqueConstraint("connection_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("crm_connections.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(8))  # open, won, lost
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CrmEvent(Base):
    """One inbound call, recorded before anything else; the same call again is a duplicate."""

    __tablename__ = "crm_events"
    __table_args__ = (UniqueConstraint("connection_id", "event_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("crm_connections.id", ondelete="CASCADE"))
    event_key: Mapped[str] = mapped_column(String(96))
    deal_id: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10))  # received, applied, ignored, failed
    detail: Mapped[str] = mapped_column(String(300), default="")


class CrmPush(Base):
    """A delivered lead to be created in the partner's CRM (referral/crm/outbound.py):
    one row per connection and lead, so a lead is never created twice."""

    __tablename__ = "crm_pushes"
    __table_args__ = (UniqueConstraint("connection_id", "lead_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("crm_connections.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    status: Mapped[str] = mapped_column(String(8))  # pending, created, failed
    entity: Mapped[str | None] = mapped_column(String(8))  # deal or lead, once created
    external_id: Mapped[str | None] = mapped_column(String(32))  # the CRM's id
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_error: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
