"""Two bot processes take the same Accept press at once (Telegram re-sent it
with a new update_id to the other one): one member, one consent, both answer.

On PostgreSQL both transactions find no member and both insert; the second
meets the unique Telegram id, and its group-committed batch falls back to
reading the member the first one made. On SQLite, BEGIN IMMEDIATE makes the
second wait and find the first's member with its consent."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from referral.companies import CompanyService
from referral.db import create_engine, create_sessionmaker
from referral.links import LinkTarget
from referral.members import MemberService
from referral.models import Consent, Member
from referral.roles import RoleService

TELEGRAM_ID = 2**41 + 3


async def race(url: str) -> None:
    engines = [create_engine(url) for _ in range(2)]  # two processes: two connections
    try:
        dbs = [create_sessionmaker(engine) for engine in engines]
        await CompanyService(dbs[0]).add("Acme", "acme")
        services = [MemberService(db, RoleService(db, frozenset())) for db in dbs]
        for service in services:  # both connections open, so the two presses overlap
            await service.identify(TELEGRAM_ID)
        results = await asyncio.gather(
            *(s.accept_consent(TELEGRAM_ID, LinkTarget("acme"), "ru") for s in services)
        )
        assert sorted(created for _, created in results) == [False, True]
        assert results[0][0].id == results[1][0].id
        async with dbs[0]() as session:
            assert await session.scalar(select(func.count()).select_from(Member)) == 1
            assert await session.scalar(select(func.count()).select_from(Consent)) == 1
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.mark.postgres
async def test_one_member_when_two_processes_accept_at_once_on_postgres(pg_database):
    await race(pg_database)


async def test_one_member_when_two_processes_accept_at_once_on_sqlite(sqlite_file):
    await race(sqlite_file)
