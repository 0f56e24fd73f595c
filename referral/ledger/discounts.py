"""The one place a price is computed: per-service discounts, then bundles.

A service's price is its catalogue price less its own discount. When a basket
holds every service of a bundle ("together cheaper"), the bundle's percent
comes off those lines too; bundles are tried best percent first and a line
belongs to one bundle at most. Kopecks are rounded down, in the member's favour.
Points a voucher costs: the price divided by the company's point value,
rounded up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from referral.ledger.catalogue_models import Bundle, BundleItem, Service


@dataclass(frozen=True)
class Line:
    service_id: int
    list_minor: int
    price_minor: int
    bundle: str | None = None


@dataclass(frozen=True)
class Quote:
    lines: list[Line]

    @property
    def total_minor(self) -> int:
        return sum(line.price_minor for line in self.lines)

    @property
    def saved_minor(self) -> int:
        return sum(line.list_minor - line.price_minor for line in self.lines)


def less_percent(amount_minor: int, percent: int) -> int:
    return amount_minor * (100 - percent) // 100


def unit_price(price_minor: int, discount_percent: int) -> int:
    return less_percent(price_minor, discount_percent)


def quote(services: Sequence[Service], bundles: Iterable[tuple[str, int, frozenset[int]]]) -> Quote:
    """Prices of a basket. ``bundles`` are (name, percent, service ids)."""
    lines = {
        s.id: Line(s.id, s.price_minor, unit_price(s.price_minor, s.discount_percent))
        for s in services
    }
    taken: set[int] = set()
    for name, percent, members in sorted(bundles, key=lambda b: -b[1]):
        if members and members <= lines.keys() and not members & taken:
            for service_id in members:
                line = lines[service_id]
                lines[service_id] = Line(
                    service_id, line.list_minor, less_percent(line.price_minor, percent), name
                )
            taken |= members
    return Quote([lines[s.id] for s in services])


def points_for(price_minor: int, point_value_minor: int) -> int:
    return -(-price_minor // max(point_value_minor, 1))


async def quote_services(session: AsyncSession, service_ids: Sequence[int]) -> Quote:
    services = list(
        (await session.scalars(select(Service).where(Service.id.in_(service_ids)))).all()
    )
    rows = (
        await session.execute(
            select(Bundle.id, Bundle.name, Bundle.discount_percent, BundleItem.service_id)
            .join(BundleItem, BundleItem.bundle_id == Bundle.id)
            .where(Bundle.company_id.in_({s.company_id for s in services}))
        )
    ).all()
    bundles: dict[int, tuple[str, int, set[int]]] = {}
    for bundle_id, name, percent, service_id in rows:
        bundles.setdefault(bundle_id, (name, percent, set()))[2].add(service_id)
    return quote(services, [(n, pc, frozenset(ids)) for n, pc, ids in bundles.values()])
