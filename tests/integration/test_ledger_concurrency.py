"""Many concurrent spends against one balance, on separate real connections:
none may overdraw, none may be lost (PostgreSQL row locks; SQLite's one writer)."""

from __future__ import annotations

import asyncio

import pytest

from referral.companies import CompanyService
from referral.db import create_engine, create_sessionmaker
from referral.ledger.check import check
from referral.ledger.errors import InsufficientPoints
from referral.ledger.ledger import Ledger
from referral.ledger.wallet import WalletService
from referral.links import LinkTarget
from referral.members import MemberService
from referral.roles import RoleService

SPENDERS = 24


async def race(url: str) -> None:
    engines = [create_engine(url) for _ in range(8)]  # separate pools, separate connections
    try:
        first = create_sessionmaker(engines[0])
        company = await CompanyService(first).add("Acme", "acme")
        member, _ = await MemberService(first, RoleService(first, frozenset())).accept_consent(
            7, LinkTarget("acme"), "ru"
        )
        ledger = Ledger(first)
        await ledger.deposit(company.id, 1_000, "top-up")
        await ledger.award_points(member.id, company.id, 100, "gift", "gift")

        async def spend(i: int) -> bool:
            other = Ledger(create_sessionmaker(engines[i % len(engines)]))
            try:
                return await other.spend(member.id, company.id, 7, f"spend:{i}")
            except InsufficientPoints:
                return False

        results = await asyncio.gather(
            *(spend(i) for i in range(SPENDERS)), *(spend(i) for i in range(SPENDERS))
        )  # each key twice
        wallet = await WalletService(first).wallet(member.id)
        done = len({i for i, ok in enumerate(results) if ok})
        assert done == 100 // 7  # 14 spends fit, every one of them landed once
        assert wallet.balances[0].points == 100 - 7 * done
        assert await check(first) == []
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.mark.postgres
async def test_concurrent_spends_never_overdraw_on_postgres(pg_database):
    await race(pg_database)


async def test_concurrent_spends_never_overdraw_on_sqlite(sqlite_file):
    await race(sqlite_file)
