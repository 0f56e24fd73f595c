"""Shared fixtures: migrated databases (a real SQLite file and the local
PostgreSQL), each test wrapped in a transaction that is rolled back."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from migrations.runner import upgrade_async
from referral.db import create_engine
from tests.services import create_pg_database, drop_pg_database


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; tests that need their own file copy it."""
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    await upgrade_async(sqlite_url(path))
    return path


@pytest.fixture
async def sqlite_file(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh migrated SQLite database file of this test's own."""
    path = tmp_path / "refbot.sqlite3"
    shutil.copy(sqlite_template, path)
    return sqlite_url(path)


_shared_pg: dict[str, str] = {}


async def shared_pg_url() -> str:
    """One migrated PostgreSQL database for the whole session, made on first use."""
    if "url" not in _shared_pg:
        url = await create_pg_database()
        await upgrade_async(url)
        _shared_pg["url"] = url
    return _shared_pg["url"]


@pytest.fixture(scope="session", autouse=True)
async def _drop_shared_pg() -> AsyncIterator[None]:
    yield
    if "url" in _shared_pg:
        await drop_pg_database(_shared_pg.pop("url"))


@pytest.fixture
async def pg_database() -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database of this test's own (for tests
    that need several real connections, e.g. concurrency)."""
    url = await create_pg_database()
    await upgrade_async(url)
    yield url
    await drop_pg_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
async def db(
    request: pytest.FixtureRequest, sqlite_template: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory on a migrated database whose changes vanish after the test.

    Services open their own transactions; bound to one outer transaction with
    ``join_transaction_mode="create_savepoint"`` each becomes a savepoint.
    """
    url = sqlite_url(sqlite_template) if request.param == "sqlite" else await shared_pg_url()
    engine = create_engine(url)
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        await transaction.rollback()
    await engine.dispose()
