"""Ledger tables: accounts, transfers, postings, point lots, per-company rules.

Amounts are integers: points are whole points, cashback is kopecks. A posted
transfer writes two postings (-amount on the debit account, +amount on the
credit account) and never changes again; a correction is a reversing transfer.
A pending transfer writes no posting: it only reserves (``pending_out`` on the
debit account, ``pending_in`` on the credit account) until it is posted or
voided, exactly once.
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
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from referral.db import Base, BigId

POINTS = "points"
CASHBACK = "cashback"
CURRENCIES = (POINTS, CASHBACK)


class Account(Base):
    """One balance. ``kind`` is member (a member's wallet at one company),
    deposit (the partner's prepaid liability deposit), redeemed and expired
    (where a company's spent and lapsed points end), or funding (the operator's
    side of every deposit top-up: the only account allowed below zero)."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint("pending_out >= 0 AND pending_in >= 0", name="pending_nonnegative"),
        CheckConstraint("kind = 'funding' OR posted - pending_out >= 0", name="no_overdraft"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(8))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    posted: Mapped[int] = mapped_column(BigInteger, default=0)
    pending_out: Mapped[int] = mapped_column(BigInteger, default=0)
    pending_in: Mapped[int] = mapped_column(BigInteger, default=0)


class Transfer(Base):
    """A movement of ``amount`` from ``debit_id`` to ``credit_id``, identified
    by its idempotency ``key``. ``on_timeout`` says what the timeout job does
    with a pending transfer at ``resolve_at``: post it (a reward that waited
    out the return window) or void it (an unredeemed voucher)."""

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="positive_amount"),
        CheckConstraint("debit_id <> credit_id", name="two_accounts"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(8))
    debit_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    credit_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(8))  # pending, posted, voided
    reason: Mapped[str] = mapped_column(String(200), default="")
    resolve_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    on_timeout: Mapped[str | None] = mapped_column(String(8))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    purchase_id: Mapped[int | None] = mapped_column(ForeignKey("purchases.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Posting(Base):
    """One side of a posted transfer; append-only."""

    __tablename__ = "ledger_postings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # + credit, - debit
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Lot(Base):
    """Points credited to a member wallet by one transfer, spent oldest-expiry
    first; ``remaining`` summed over a wallet equals its available balance."""

    __tablename__ = "ledger_lots"
    __table_args__ = (CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HoldLot(Base):
    """Which lots a pending debit took points from, so a void gives them back."""

    __tablename__ = "ledger_hold_lots"

    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"), primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("ledger_lots.id"), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class Rules(Base):
    """A company's earning rules, as data (``refbot rules set``)."""

    __tablename__ = "ledger_rules"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    invite_points: Mapped[int] = mapped_column(Integer, default=0)
    review_points: Mapped[int] = mapped_column(Integer, default=0)
    survey_points: Mapped[int] = mapped_column(Integer, default=0)
    purchase_points: Mapped[int] = mapped_column(Integer, default=0)
    cashback_bp: Mapped[int] = mapped_column(Integer, default=0)  # basis points of the amount
    points_ttl_days: Mapped[int | None] = mapped_column(Integer)  # None: points never expire
    return_window_days: Mapped[int] = mapped_column(Integer, default=14)
    voucher_ttl_hours: Mapped[int] = mapped_column(Integer, default=72)
    point_value_minor: Mapped[int] = mapped_column(Integer, default=100)  # kopecks per point
    invite_daily_cap: Mapped[int] = mapped_column(Integer, default=5)
    invite_total_cap: Mapped[int] = mapped_column(Integer, default=50)
    require_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    # The offer incentives (referral.offers.incentives); None or 0 switches each off.
    upsell_margin_bp: Mapped[int | None] = mapped_column(Integer)
    upsell_cashback_max_bp: Mapped[int] = mapped_column(
        Integer, default=3000, server_default="3000"
    )
    spend_drop_bp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retention_points: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retention_period_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    retention_min_spend_minor: Mapped[int] = mapped_column(
        BigInteger, default=0, server_default="0"
    )
