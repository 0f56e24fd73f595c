"""What a member sees of an offer: partner, service, price, discount or cashback,
the bundle if any, and why. Prices come from referral.ledger.discounts, the one
place a price is computed."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from referral.ledger.catalogue_models import Bundle, BundleItem, Service
from referral.ledger.discounts import quote_services, unit_price
from referral.ledger.rules import rules_of
from referral.models import Company
from referral.offers.models import ShownOffer


@dataclass(frozen=True)
class BundleView:
    name: str
    services: list[str]
    discount_percent: int
    list_minor: int
    price_minor: int


@dataclass(frozen=True)
class OfferView:
    offer_id: int
    company_id: int
    company: str
    service: str
    category: str
    list_minor: int
    price_minor: int
    discount_percent: int
    cashback_bp: int
    reason: str
    related: str | None
    bundle: BundleView | None
    distance_km: float | None = None

    def at_distance(self, km: float | None) -> OfferView:
        return replace(self, distance_km=km)


async def render_views(session: AsyncSession, rows: list[ShownOffer]) -> list[OfferView]:
    views = []
    for row in rows:
        service = await session.get(Service, row.service_id)
        company = await session.get(Company, row.company_id)
        assert service is not None and company is not None
        related = (
            await session.get(Service, row.related_service_id) if row.related_service_id else None
        )
        cashback = service.cashback_bp
        if cashback is None:
            cashback = (await rules_of(session, company.id)).cashback_bp
        views.append(
            OfferView(
                offer_id=row.id,
                company_id=company.id,
                company=company.name,
                service=service.name,
                category=service.category,
                list_minor=service.price_minor,
                price_minor=unit_price(service.price_minor, service.discount_percent),
                discount_percent=service.discount_percent,
                cashback_bp=cashback or 0,
                reason=row.reason,
                related=related.name if related else None,
                bundle=await _bundle(session, service.id),
            )
        )
    return views


async def _bundle(session: AsyncSession, service_id: int) -> BundleView | None:
    """The partner's best "together cheaper" bundle holding this service, priced."""
    bundle = await session.scalar(
        select(Bundle)
        .join(BundleItem, BundleItem.bundle_id == Bundle.id)
        .where(BundleItem.service_id == service_id)
        .order_by(Bundle.discount_percent.desc(), Bundle.id)
        .limit(1)
    )
    if bundle is None:
        return None
    items = list(
        (
            await session.scalars(
                select(Service)
                .join(BundleItem, BundleItem.service_id == Service.id)
                .where(BundleItem.bundle_id == bundle.id)
                .order_by(Service.id)
            )
        ).all()
    )
    quote = await quote_services(session, [s.id for s in items])
    return BundleView(
        bundle.name,
        [s.name for s in items],
        bundle.discount_percent,
        sum(line.list_minor for line in quote.lines),
        quote.total_minor,
    )
