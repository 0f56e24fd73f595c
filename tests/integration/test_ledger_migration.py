"""Migration 0002 upgrades and downgrades on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from migrations.runner import downgrade_async, upgrade_async
from referral.db import create_engine


async def tables(url: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names


async def round_trip(url: str) -> None:
    assert "ledger_transfers" in await tables(url)
    await downgrade_async(url, "0001")
    assert not {"ledger_transfers", "services", "purchases"} & await tables(url)
    await upgrade_async(url, "0002")
    assert {"ledger_accounts", "ledger_postings", "services", "outlets"} <= await tables(url)


async def test_ledger_migration_round_trip_on_sqlite(sqlite_file):
    await round_trip(sqlite_file)


@pytest.mark.postgres
async def test_ledger_migration_round_trip_on_postgres(pg_database):
    await round_trip(pg_database)
