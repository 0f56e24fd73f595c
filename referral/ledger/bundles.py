"""Bundles ("together cheaper"): a set of a company's services that costs
``discount_percent`` less when bought together. `discounts.quote` prices them;
this is where they are defined (`refbot bundle add`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.companies import by_code
from referral.ledger.catalogue_models import Bundle, BundleItem, Service
from referral.ledger.errors import InvalidBundle
from referral.stamps import bump


@dataclass(frozen=True)
class BundleDefined:
    code: str
    name: str
    discount_percent: int
    services: tuple[str, ...]
    created: bool  # False: an existing bundle of that code was redefined


class BundleService:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def define(
        self,
        company_code: str,
        code: str,
        service_codes: list[str],
        discount_percent: int,
        name: str = "",
    ) -> BundleDefined:
        """Create the bundle, or replace the services and percent of the one with
        ``code``: two or more active services of the company, 1-99 percent off."""
        codes = tuple(dict.fromkeys(c.strip() for c in service_codes if c.strip()))
        if not code.strip() or len(code) > 40:
            raise InvalidBundle("the bundle code must be 1-40 characters")
        if len(codes) < 2:
            raise InvalidBundle("a bundle needs at least two different services")
        if not 1 <= discount_percent <= 99:
            raise InvalidBundle("the bundle discount must be 1-99 percent")
        async with self.db.begin() as session:
            company = await by_code(session, company_code)
            services = {
                s.code: s.id
                for s in await session.scalars(
                    select(Service).where(
                        Service.company_id == company.id, Service.code.in_(codes), Service.active
                    )
                )
            }
            if missing := [c for c in codes if c not in services]:
                raise InvalidBundle(f"no active service {', '.join(missing)} at {company_code}")
            bundle = await session.scalar(
                select(Bundle).where(Bundle.company_id == company.id, Bundle.code == code)
            )
            created = bundle is None
            if bundle is None:
                bundle = Bundle(
                    company_id=company.id,
                    code=code,
                    name=name or code,
                    discount_percent=discount_percent,
                )
                session.add(bundle)
                await session.flush()
            else:
                bundle.discount_percent, bundle.name = discount_percent, name or bundle.name
                await session.execute(delete(BundleItem).where(BundleItem.bundle_id == bundle.id))
            session.add_all(BundleItem(bundle_id=bundle.id, service_id=services[c]) for c in codes)
            await bump(session)  # offers show the bundle a service is in
        return BundleDefined(code, bundle.name, discount_percent, codes, created)
