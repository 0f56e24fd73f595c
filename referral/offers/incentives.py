"""The money mechanics of the "smart purchases" seed, on plain data: what the
member's own purchases say (their habits) and which incentive an offer
carries under its partner's rules (`refbot rules set`). Paying happens in
referral.offers.payouts, through the ledger.

Upsell: a service the member bought at least REGULAR_PURCHASES times is their
usual; a pricier active service of the same category, at the same partner or
one with an outlet within UPSELL_RADIUS_KM of the usual partner's outlets, may
be offered with cashback sized so the member's price after it stays within the
partner's ``upsell_margin`` of what they usually pay, never above the
partner's ``upsell_cashback_max``. The priciest such service wins.

Spend drop: when the member's spend over the last 7 days is below their own
weekly average before that (at least a week of history), offers of partners
with ``spend_drop_cashback`` carry that much more cashback.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from referral.offers.candidates import Candidate
from referral.offers.geo import haversine_km
from referral.offers.models import UPSELL
from referral.offers.shared import Catalogue, ServiceCard

REGULAR_PURCHASES = 3
UPSELL_RADIUS_KM = 3.0
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Bought:
    """One of the member's completed purchases."""

    service_id: int
    amount_minor: int
    at: datetime


@dataclass(frozen=True)
class Habits:
    usual: dict[int, int]  # service bought regularly -> the price the member usually pays
    last_week_minor: int
    weekly_average_minor: int | None  # before the last 7 days; None: under a week of history

    @property
    def spend_dropped(self) -> bool:
        return self.weekly_average_minor is not None and (
            self.last_week_minor < self.weekly_average_minor
        )


def habits_of(bought: list[Bought], now: datetime) -> Habits:
    times = Counter(b.service_id for b in bought)
    paid: dict[int, list[int]] = defaultdict(list)
    for b in bought:
        paid[b.service_id].append(b.amount_minor)
    usual = {
        service: int(statistics.median(paid[service]))
        for service, count in times.items()
        if count >= REGULAR_PURCHASES
    }
    week_ago = now - WEEK
    last_week = sum(b.amount_minor for b in bought if week_ago < b.at <= now)
    earlier = [b for b in bought if b.at <= week_ago]
    average = None
    if earlier:
        weeks = (week_ago - min(b.at for b in earlier)) / WEEK
        if weeks >= 1:
            average = int(sum(b.amount_minor for b in earlier) / weeks)
    return Habits(usual, last_week, average)


@dataclass(frozen=True)
class Upsell:
    card: ServiceCard
    usual: ServiceCard
    usual_minor: int
    cashback_bp: int  # extra cashback that brings the price near the usual one


def cashback_to_reach(price_minor: int, usual_minor: int, margin_bp: int) -> int:
    """Basis points of cashback that bring ``price_minor`` within ``margin_bp`` above
    ``usual_minor`` (rounded up, so the member's price never lands above the margin)."""
    target = usual_minor * (10_000 + margin_bp) // 10_000
    if price_minor <= target:
        return 0
    return -(-(price_minor - target) * 10_000 // price_minor)


def best_upsell(habits: Habits, catalogue: Catalogue, excluded: set[str]) -> Upsell | None:
    found: list[Upsell] = []
    for usual_id, usual_minor in habits.usual.items():
        usual = catalogue.services.get(usual_id)
        if usual is None:
            continue
        for card in catalogue.upsell_by_category.get(usual.category, ()):
            if card.id == usual_id or card.item in excluded or card.price_minor <= usual_minor:
                continue
            rules = catalogue.rules_of(card.company_id)
            assert rules.upsell_margin_bp is not None  # upsell_by_category holds only those
            needed = cashback_to_reach(card.price_minor, usual_minor, rules.upsell_margin_bp)
            if needed <= rules.upsell_cashback_max_bp and near(catalogue, usual, card):
                found.append(Upsell(card, usual, usual_minor, needed))
    return max(found, key=lambda u: (u.card.price_minor, -u.card.id), default=None)


def near(catalogue: Catalogue, usual: ServiceCard, card: ServiceCard) -> bool:
    """The same partner, or an outlet of card's partner near one of the usual's."""
    if usual.company_id == card.company_id:
        return True
    pair = (usual.company_id, card.company_id)
    if pair not in catalogue.nearby:  # once per pair of partners while the catalogue holds
        catalogue.nearby[pair] = any(
            haversine_km(*a, *b) <= UPSELL_RADIUS_KM
            for a in catalogue.outlets.get(usual.company_id, ())
            for b in catalogue.outlets.get(card.company_id, ())
        )
    return catalogue.nearby[pair]


def spend_drop_bp(habits: Habits, catalogue: Catalogue, company_id: int) -> int:
    """Extra cashback the partner gives a member whose spend dropped (0: none)."""
    return catalogue.rules_of(company_id).spend_drop_bp if habits.spend_dropped else 0


@dataclass(frozen=True)
class Offered:
    """A candidate with what its offer promises on top of the service's own terms."""

    candidate: Candidate
    extra_cashback_bp: int = 0  # the upsell's and the spend drop's, together
    spend_drop_bp: int = 0
    usual_service_id: int | None = None
    usual_minor: int | None = None


def with_incentives(
    picked: list[Candidate], habits: Habits, catalogue: Catalogue, excluded: set[str], n: int
) -> list[Offered]:
    """The upsell first (when a partner's rules allow one), then the ranked
    candidates of other categories, up to n; each with its spend-drop cashback."""
    upsell = best_upsell(habits, catalogue, excluded)
    out: list[Offered] = []
    if upsell is not None:
        out.append(
            Offered(
                Candidate(upsell.card.id, 1.0, UPSELL, upsell.usual.id),
                upsell.cashback_bp,
                usual_service_id=upsell.usual.id,
                usual_minor=upsell.usual_minor,
            )
        )
    for candidate in picked:
        card = catalogue.services[candidate.service_id]
        if upsell is None or card.category != upsell.card.category:
            out.append(Offered(candidate))
    offered = []
    for offer in out[:n]:
        company = catalogue.services[offer.candidate.service_id].company_id
        drop = spend_drop_bp(habits, catalogue, company)
        offered.append(
            replace(
                offer,
                extra_cashback_bp=min(offer.extra_cashback_bp + drop, 10_000),
                spend_drop_bp=drop,
            )
        )
    return offered
