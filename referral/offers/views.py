"""What a member sees of an offer: partner, service, price, discount or cashback,
the bundle if any, and why. Prices come from referral.ledger.discounts, the one
place a price is computed (referral.offers.shared prices the catalogue with it)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from referral.offers.shared import ServiceCard


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


def offer_view(
    offer_id: int, reason: str, card: ServiceCard, related: ServiceCard | None
) -> OfferView:
    """The view of shown offer ``offer_id`` of the service on ``card``."""
    return OfferView(
        offer_id=offer_id,
        company_id=card.company_id,
        company=card.company,
        service=card.name,
        category=card.category,
        list_minor=card.list_minor,
        price_minor=card.price_minor,
        discount_percent=card.discount_percent,
        cashback_bp=card.cashback_bp,
        reason=reason,
        related=related.name if related else None,
        bundle=card.bundle,
    )
