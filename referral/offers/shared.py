"""What every member's offers share, kept in memory: the catalogue (names,
prices, cashback, bundles, outlets), the companies' rules and relevance
floors, the operator's cross-service links and popularity counted from
purchases.

A request reads only the member's own rows; with them comes the ``offers``
change stamp (referral.stamps), and a stamp other than the one this state was
built at means an import, a rule or a floor changed somewhere (in this process
or another): the state is rebuilt before the request goes on. Popularity
counted over every purchase changes with each import but matters little
between two of them, so it is recounted on a timer, in the background, while
requests go on with the previous counts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.ledger.activity_models import Purchase
from referral.ledger.catalogue_models import Bundle, BundleItem, Outlet, Service
from referral.ledger.discounts import quote, unit_price
from referral.ledger.rules import RuleSet, all_rules
from referral.models import Company
from referral.offers.models import CrossService, OfferSettings
from referral.offers.views import BundleView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceCard:
    """One catalogue service with everything an offer of it shows."""

    id: int
    company_id: int
    company: str
    name: str
    category: str
    list_minor: int
    price_minor: int  # after the service's own discount
    discount_percent: int
    cashback_bp: int  # the service's own, else its company's rule
    active: bool
    bundle: BundleView | None = None

    @property
    def item(self) -> str:
        """The recommender's id of the service."""
        return str(self.id)


@dataclass(frozen=True)
class Catalogue:
    version: int | None
    services: dict[int, ServiceCard]
    items: dict[str, ServiceCard]  # active services by the recommender's id
    thresholds: dict[int, float]
    rules: dict[int, RuleSet]
    links: dict[str, dict[str, float]]  # cross-service links, both ways, summed
    outlets: dict[int, list[tuple[float, float]]]  # company -> (lat, lon) of its outlets
    # Active services of partners with upsell switched on, by category.
    upsell_by_category: dict[str, list[ServiceCard]] = field(default_factory=dict)
    nearby: dict[tuple[int, int], bool] = field(default_factory=dict)  # filled as asked

    def rules_of(self, company_id: int) -> RuleSet:
        return self.rules.get(company_id) or RuleSet()


@dataclass(frozen=True)
class Counted:
    """Distinct buyers per service over every completed purchase, best first,
    scaled to the top one: the popularity of last resort (no model trained)."""

    popular: list[tuple[str, float]] = field(default_factory=list)
    at: float = float("-inf")


class SharedOffers:
    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        recount_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.recount_seconds = recount_seconds
        self.clock = clock
        self._catalogue: Catalogue | None = None
        self._counted: Counted | None = None
        self._lock = asyncio.Lock()
        self._recount: asyncio.Task[None] | None = None

    async def catalogue(self, version: int | None) -> Catalogue:
        """The shared state as of stamp ``version`` (rebuilt first when it is older)."""
        held = self._catalogue
        if held is not None and held.version == version:
            return held
        async with self._lock:
            held = self._catalogue
            if held is None or held.version != version:
                async with self.db() as session:
                    held = await load_catalogue(session, version)
                self._catalogue = held
        return held

    async def counted(self) -> Counted:
        """Popularity counts; the first call counts, later ones recount in the background."""
        held = self._counted
        if held is None:
            async with self._lock:
                if self._counted is None:
                    self._counted = await self._count()
            return self._counted
        if self.clock() - held.at > self.recount_seconds and self._recount is None:
            self._recount = asyncio.create_task(self._background_recount())
        return held

    def outlets_now(self) -> dict[int, list[tuple[float, float]]]:
        """The outlets of the catalogue last loaded (empty before the first request)."""
        return self._catalogue.outlets if self._catalogue else {}

    def forget(self) -> None:
        """Drop everything held (this process changed what it covers)."""
        self._catalogue = None
        self._counted = None

    async def _background_recount(self) -> None:
        try:
            self._counted = await self._count()
        except Exception:  # the next request tries again; the old counts still serve
            log.exception("recounting offer popularity failed")
        finally:
            self._recount = None

    async def _count(self) -> Counted:
        async with self.db() as session:
            rows = (
                await session.execute(
                    select(Purchase.service_id, func.count(func.distinct(Purchase.member_id)))
                    .where(Purchase.status == "completed")
                    .group_by(Purchase.service_id)
                )
            ).all()
        top = max((int(c) for _, c in rows), default=0)
        popular = sorted(((str(s), int(c) / top) for s, c in rows), key=lambda p: (-p[1], p[0]))
        return Counted(popular, self.clock())


async def load_catalogue(session: AsyncSession, version: int | None) -> Catalogue:
    rules = await all_rules(session)
    cards = {}
    for service, company in (
        await session.execute(
            select(Service, Company.name).join(Company, Company.id == Service.company_id)
        )
    ).all():
        company_rules = rules.get(service.company_id) or RuleSet()
        own = service.cashback_bp
        cards[service.id] = ServiceCard(
            id=service.id,
            company_id=service.company_id,
            company=company,
            name=service.name,
            category=service.category,
            list_minor=service.price_minor,
            price_minor=unit_price(service.price_minor, service.discount_percent),
            discount_percent=service.discount_percent,
            cashback_bp=(company_rules.cashback_bp if own is None else own) or 0,
            active=service.active,
        )
    cards = await _with_bundles(session, cards)
    thresholds = dict(
        (
            await session.execute(
                select(OfferSettings.company_id, OfferSettings.relevance_threshold)
            )
        ).all()
    )
    links: dict[str, dict[str, float]] = defaultdict(dict)
    for a, b, weight in (
        await session.execute(
            select(CrossService.service_a_id, CrossService.service_b_id, CrossService.weight)
        )
    ).all():
        a, b = str(a), str(b)
        links[a][b] = links[a].get(b, 0.0) + weight
        links[b][a] = links[b].get(a, 0.0) + weight
    outlets: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for company_id, lat, lon in (
        await session.execute(select(Outlet.company_id, Outlet.lat, Outlet.lon))
    ).all():
        outlets[company_id].append((lat, lon))
    upsell: dict[str, list[ServiceCard]] = defaultdict(list)
    for card in cards.values():
        company_rules = rules.get(card.company_id)
        if card.active and company_rules and company_rules.upsell_margin_bp is not None:
            upsell[card.category].append(card)
    return Catalogue(
        upsell_by_category=dict(upsell),
        version=version,
        services=cards,
        items={card.item: card for card in cards.values() if card.active},
        thresholds=thresholds,
        rules=rules,
        links=dict(links),
        outlets=dict(outlets),
    )


async def _with_bundles(
    session: AsyncSession, cards: dict[int, ServiceCard]
) -> dict[int, ServiceCard]:
    """Each service with the partner's best bundle holding it, priced as
    referral.ledger.discounts prices a basket of exactly that bundle."""
    rows = (
        await session.execute(
            select(
                Bundle.id,
                Bundle.name,
                Bundle.discount_percent,
                Bundle.company_id,
                BundleItem.service_id,
            )
            .join(BundleItem, BundleItem.bundle_id == Bundle.id)
            .order_by(Bundle.id)
        )
    ).all()
    bundles: dict[int, tuple[str, int, int, list[int]]] = {}
    for bundle_id, name, percent, company_id, service_id in rows:
        bundles.setdefault(bundle_id, (name, percent, company_id, []))[3].append(service_id)
    of_company: dict[int, list[tuple[str, int, frozenset[int]]]] = defaultdict(list)
    for name, percent, company_id, members in bundles.values():
        of_company[company_id].append((name, percent, frozenset(members)))
    best: dict[int, int] = {}  # service -> bundle: best percent, then the oldest
    for bundle_id, (_, percent, _, members) in bundles.items():
        for service_id in members:
            held = best.get(service_id)
            if held is None or percent > bundles[held][1]:
                best[service_id] = bundle_id
    out = dict(cards)
    for service_id, bundle_id in best.items():
        name, percent, company_id, members = bundles[bundle_id]
        if service_id not in cards or any(m not in cards for m in members):
            continue
        basket = [_priced(cards[m]) for m in sorted(members)]
        priced = quote(basket, of_company[company_id])
        out[service_id] = replace(
            cards[service_id],
            bundle=BundleView(
                name,
                [cards[m].name for m in sorted(members)],
                percent,
                sum(line.list_minor for line in priced.lines),
                priced.total_minor,
            ),
        )
    return out


def _priced(card: ServiceCard) -> Service:
    # A transient row (never added to a session) is what discounts.quote prices.
    return Service(id=card.id, price_minor=card.list_minor, discount_percent=card.discount_percent)
