"""The partner catalogue: services with their prices and discounts, outlets
with their coordinates, and "together cheaper" bundles. Prices are kopecks;
coordinates are not money, so they may be floats."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from referral.db import Base, BigId


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (
        UniqueConstraint("company_id", "code"),
        CheckConstraint("price_minor >= 0", name="price"),
        CheckConstraint("discount_percent BETWEEN 0 AND 100", name="discount"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(60))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    discount_percent: Mapped[int] = mapped_column(Integer, default=0)
    cashback_bp: Mapped[int | None] = mapped_column(Integer)  # None: the company's rule
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Outlet(Base):
    __tablename__ = "outlets"
    __table_args__ = (UniqueConstraint("company_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class Bundle(Base):
    """A "together cheaper" set: buying every item of it takes ``discount_percent`` off."""

    __tablename__ = "bundles"
    __table_args__ = (
        UniqueConstraint("company_id", "code"),
        CheckConstraint("discount_percent BETWEEN 0 AND 100", name="discount"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    discount_percent: Mapped[int] = mapped_column(Integer)


class BundleItem(Base):
    __tablename__ = "bundle_items"

    bundle_id: Mapped[int] = mapped_column(ForeignKey("bundles.id"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), primary_key=True)
