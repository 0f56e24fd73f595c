"""Bundles defined through the service behind `refbot bundle add`, priced by the one quote."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from referral.companies import CompanyService
from referral.ledger.catalogue_models import Service
from referral.ledger.discounts import quote_services
from referral.ledger.errors import InvalidBundle
from referral.ledger.ledger import Ledger
from referral.ledger.services import build_loyalty

CATALOG = (
    "code,name,category,price,discount_percent\nlatte,Latte,coffee,250,0\n"
    "croissant,Croissant,bakery,150,10\ntea,Tea,coffee,100,0\n"
)


@pytest.fixture
async def loyalty(db):
    await CompanyService(db).add("Acme", "acme")
    await CompanyService(db).add("Other", "other")
    loyalty = build_loyalty(db, Ledger(db), b"k")
    await loyalty.catalog.import_csv("acme", CATALOG)
    return loyalty


async def prices(db, *codes: str) -> list[int]:
    async with db() as session:
        ids = {s.code: s.id for s in await session.scalars(select(Service))}
        return [
            line.price_minor
            for line in (await quote_services(session, [ids[c] for c in codes])).lines
        ]


async def test_a_defined_bundle_makes_the_pair_cheaper_and_redefining_replaces_it(db, loyalty):
    done = await loyalty.bundles.define("acme", "breakfast", ["latte", "croissant"], 20)
    assert (done.created, done.services) == (True, ("latte", "croissant"))
    assert await prices(db, "latte", "croissant") == [20_000, 10_800]  # 250 less 20%; 135 less 20%
    assert await prices(db, "latte") == [25_000]  # alone, no bundle

    again = await loyalty.bundles.define("acme", "breakfast", ["latte", "tea"], 10)
    assert again.created is False
    assert await prices(db, "latte", "croissant") == [25_000, 13_500]
    assert await prices(db, "latte", "tea") == [22_500, 9_000]


@pytest.mark.parametrize(
    ("services", "percent", "says"),
    [
        (["latte"], 10, "at least two"),
        (["latte", "latte"], 10, "at least two"),
        (["latte", "tea"], 0, "1-99"),
        (["latte", "tea"], 100, "1-99"),
        (["latte", "cake"], 10, "no active service cake"),
    ],
)
async def test_a_bad_bundle_is_refused_and_nothing_is_stored(db, loyalty, services, percent, says):
    with pytest.raises(InvalidBundle, match=says):
        await loyalty.bundles.define("acme", "b", services, percent)
    assert await prices(db, "latte", "tea") == [25_000, 10_000]


async def test_another_companys_services_cannot_be_bundled(loyalty):
    with pytest.raises(InvalidBundle, match="no active service"):
        await loyalty.bundles.define("other", "b", ["latte", "tea"], 10)
