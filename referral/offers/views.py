"""What a member sees of an offer: partner, service, price, discount or cashback,
the bundle if any, and why. Prices come from referral.ledger.discounts, the one
place a price is computed (referral.offers.shared prices the catalogue with it)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from referral.offers.models import ShownOffer
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
    extra_cashback_bp: int = 0  # the offer's incentive, on top of cashback_bp
    spend_drop_bp: int = 0  # the part of it for a member whose spend dropped
    usual: str | None = None  # upsell: the service the member usually takes
    usual_minor: int | None = None  # and what they usually pay for it

    @property
    def after_cashback_minor(self) -> int:
        """The member's price once the offer's extra cashback comes back."""
        return self.price_minor - self.price_minor * self.extra_cashback_bp // 10_000

    def at_distance(self, km: float | None) -> OfferView:
        return replace(self, distance_km=km)


def offer_view(
    row: ShownOffer,
    card: ServiceCard,
    related: ServiceCard | None,
    usual: ServiceCard | None = None,
) -> OfferView:
    """The view of shown offer ``row`` of the service on ``card``."""
    return OfferView(
        offer_id=row.id,
        company_id=card.company_id,
        company=card.company,
        service=card.name,
        category=card.category,
        list_minor=card.list_minor,
        price_minor=card.price_minor,
        discount_percent=card.discount_percent,
        cashback_bp=card.cashback_bp,
        reason=row.reason,
        related=related.name if related else None,
        bundle=card.bundle,
        extra_cashback_bp=row.extra_cashback_bp,
        spend_drop_bp=row.spend_drop_bp,
        usual=usual.name if usual else None,
        usual_minor=row.usual_minor,
    )
