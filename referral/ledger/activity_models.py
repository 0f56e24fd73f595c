"""What members and partners do around the ledger: purchases, invites and
phone checks, vouchers and their attempts, reviews, and the notices sent to a
partner whose deposit runs short. Amounts are kopecks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from referral.db import Base, BigId


class Purchase(Base):
    """A purchase a partner reported; ``receipt`` is the import's idempotency key."""

    __tablename__ = "purchases"
    __table_args__ = (
        UniqueConstraint("company_id", "receipt"),
        CheckConstraint("amount_minor > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    purchased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    client_ref: Mapped[str] = mapped_column(String(16))
    receipt: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="completed")  # or reversed
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reversed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Invite(Base):
    """One invitee's invite, decided at their first purchase: rewarded once or refused."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    inviter_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    invitee_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"))
    status: Mapped[str] = mapped_column(String(10))  # awarded (pending or posted), voided, refused
    reason: Mapped[str] = mapped_column(String(40), default="")
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MemberPhone(Base):
    """A keyed hash (HMAC) of a checked phone number; never the number itself."""

    __tablename__ = "member_phones"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Voucher(Base):
    __tablename__ = "vouchers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    points: Mapped[int] = mapped_column(BigInteger)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VoucherAttempt(Base):
    """Failed redemption attempts per actor, to rate-limit code guessing."""

    __tablename__ = "voucher_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    rating: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Review points a short deposit refused; credited once the deposit allows.
    reward_owed: Mapped[int | None] = mapped_column(Integer)


class PartnerNotice(Base):
    """When a company's partner admins were last told about ``topic`` (e.g. a
    short deposit): the throttle of such messages, shared by every bot process."""

    __tablename__ = "partner_notices"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(32), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
