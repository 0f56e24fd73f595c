"""The partner catalogue: services (price, category, discount) and outlets.

`refbot catalog import FILE.csv --company CODE`, columns: code, name,
category, price (roubles, e.g. 450 or 450.50), optional discount_percent,
optional outlet_name, outlet_lat, outlet_lon. A file is applied whole or not
at all: any bad row is reported with its line number and nothing changes.
Rows update the service with the same code; re-importing changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.companies import by_code
from referral.ledger.catalogue_models import Outlet, Service
from referral.ledger.csvfile import parse_money, read_rows
from referral.ledger.errors import InvalidBatch, InvalidFile
from referral.stamps import bump

REQUIRED = ("code", "name", "category", "price")


class CatalogItem(TypedDict):
    """A service as stored: code, name, category, price in kopecks, discount."""

    code: str
    name: str
    category: str
    price_minor: int
    discount_percent: int


@dataclass(frozen=True)
class CatalogReport:
    services: int
    outlets: int


def _parse(line: int, row: dict[str, str], problems: list[tuple[int, str]]) -> dict | None:
    item: dict = {}
    for key, limit in (("code", 40), ("name", 200), ("category", 60)):
        if not row[key] or len(row[key]) > limit:
            problems.append((line, f"{key} must be 1-{limit} characters"))
            return None
        item[key] = row[key]
    try:
        item["price_minor"] = parse_money(row["price"])
        discount = row.get("discount_percent") or "0"
        if not discount.isdigit() or int(discount) > 100:
            raise ValueError(f"discount_percent {discount!r} must be 0-100")
        item["discount_percent"] = int(discount)
        outlet = row.get("outlet_name") or ""
        if outlet:
            lat, lon = float(row.get("outlet_lat") or "x"), float(row.get("outlet_lon") or "x")
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError("outlet coordinates out of range")
            item["outlet"] = (outlet[:200], lat, lon)
    except ValueError as error:
        problems.append(
            (
                line,
                str(error).replace(
                    "could not convert string to float: 'x'",
                    "outlet_lat and outlet_lon are required numbers",
                ),
            )
        )
        return None
    return item


class CatalogService:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def import_csv(self, company_code: str, data: bytes | str) -> CatalogReport:
        problems: list[tuple[int, str]] = []
        items = []
        seen: dict[str, int] = {}
        for line, row in read_rows(data, REQUIRED):
            item = _parse(line, row, problems)
            if item is None:
                continue
            if item["code"] in seen:
                problems.append(
                    (line, f"service {item['code']!r} repeats line {seen[item['code']]}")
                )
            seen[item["code"]] = line
            items.append(item)
        if problems:
            raise InvalidFile(problems)
        outlets = [outlet for item in items if (outlet := item.pop("outlet", None))]
        async with self.db.begin() as session:
            company = await by_code(session, company_code)
            return await _store(session, company.id, items, outlets)

    async def put(
        self,
        company_id: int,
        services: list[CatalogItem],
        outlets: list[tuple[str, float, float]],
    ) -> CatalogReport:
        """Services and outlets checked already (the HTTP API's models), by the
        same rules as a file: upserts by code and name, whole or not at all."""
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for kind, keys in (
            ("services", [s["code"] for s in services]),
            ("outlets", [o[0] for o in outlets]),
        ):
            first: dict[str, int] = {}
            for index, key in enumerate(keys):
                if first.setdefault(key, index) != index:
                    problems.append(((kind, index), f"{key!r} repeats item {first[key]}"))
        if problems:
            raise InvalidBatch(problems)
        async with self.db.begin() as session:
            return await _store(session, company_id, [dict(s) for s in services], outlets)

    async def services(self, company_id: int) -> list[Service]:
        async with self.db() as session:
            return list(
                (
                    await session.scalars(
                        select(Service)
                        .where(Service.company_id == company_id, Service.active)
                        .order_by(Service.name)
                    )
                ).all()
            )


async def _store(
    session: AsyncSession,
    company_id: int,
    items: list[dict],
    outlets: list[tuple[str, float, float]],
) -> CatalogReport:
    services = sum([await _upsert_service(session, company_id, item) for item in items])
    changed = sum([await _upsert_outlet(session, company_id, *outlet) for outlet in outlets])
    await bump(session)  # offers everyone sees show the catalogue
    return CatalogReport(services, changed)


async def _upsert_service(session: AsyncSession, company_id: int, item: dict) -> int:
    found = await session.scalar(
        select(Service).where(Service.company_id == company_id, Service.code == item["code"])
    )
    if found is None:
        session.add(Service(company_id=company_id, active=True, **item))
        return 1
    changed = any(getattr(found, k) != v for k, v in item.items())
    for key, value in item.items():
        setattr(found, key, value)
    return int(changed)


async def _upsert_outlet(
    session: AsyncSession, company_id: int, name: str, lat: float, lon: float
) -> int:
    found = await session.scalar(
        select(Outlet).where(Outlet.company_id == company_id, Outlet.name == name)
    )
    if found is None:
        session.add(Outlet(company_id=company_id, name=name, lat=lat, lon=lon))
        return 1
    changed = (found.lat, found.lon) != (lat, lon)
    found.lat, found.lon = lat, lon
    return int(changed)
