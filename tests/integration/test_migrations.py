"""The same Alembic revisions build and remove the schema on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

import referral.all_models  # noqa: F401
from migrations.runner import downgrade_async, upgrade_async
from referral.db import Base, create_engine
from tests.conftest import sqlite_url
from tests.services import create_pg_database, drop_pg_database


async def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def round_trip(url: str) -> None:
    await upgrade_async(url)
    assert set(Base.metadata.tables) <= await table_names(url)
    await downgrade_async(url, "base")
    assert await table_names(url) <= {"alembic_version"}
    await upgrade_async(url)
    assert set(Base.metadata.tables) <= await table_names(url)


async def test_migrations_upgrade_and_downgrade_on_sqlite(tmp_path):
    await round_trip(sqlite_url(tmp_path / "m.sqlite3"))


@pytest.mark.postgres
async def test_migrations_upgrade_and_downgrade_on_postgres():
    url = await create_pg_database()
    try:
        await round_trip(url)
    finally:
        await drop_pg_database(url)
