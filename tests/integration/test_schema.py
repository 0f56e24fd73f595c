"""The schema the migrations build, read back from the database itself, on
SQLite and PostgreSQL: Telegram ids fit 64 bits, and Alembic's autogenerate
comparison finds nothing between the models and the migrated schema."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import referral.all_models  # noqa: F401  (every table on the metadata)
from migrations.runner import upgrade_async
from referral.db import Base, create_engine
from tests.conftest import sqlite_url
from tests.services import create_pg_database, drop_pg_database

# A column holds a Telegram id (user, chat, bot or update) when its name says so.
TELEGRAM_ID = re.compile(r"(^|_)(telegram_id|chat_id|bot_id|update_id)$")
# Known today; the scan must find at least these, so it never passes on nothing.
KNOWN_TELEGRAM_ID_COLUMNS = {
    ("members", "telegram_id"),
    ("processed_updates", "update_id"),
    ("surveys", "progress_chat_id"),
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def migrated(request, tmp_path) -> AsyncIterator[str]:
    """The URL of a database brought to head by the real migrations."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "schema.sqlite3")
        await upgrade_async(url)
        yield url
        return
    url = await create_pg_database()
    try:
        await upgrade_async(url)
        yield url
    finally:
        await drop_pg_database(url)


async def _on_database(url: str, read):  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(read)
    finally:
        await engine.dispose()


def _telegram_id_column_types(connection: Connection) -> dict[tuple[str, str], str]:
    inspector = inspect(connection)
    return {
        (table, column["name"]): str(column["type"]).upper()
        for table in inspector.get_table_names()
        for column in inspector.get_columns(table)
        if TELEGRAM_ID.search(column["name"])
    }


async def test_telegram_ids_are_64_bit_in_the_migrated_database(migrated):
    types = await _on_database(migrated, _telegram_id_column_types)
    assert types.keys() >= KNOWN_TELEGRAM_ID_COLUMNS, sorted(types)
    narrow = {column: kind for column, kind in types.items() if kind != "BIGINT"}
    assert not narrow, f"Telegram ids need BIGINT in the database, these are not: {narrow}"


def _differences(connection: Connection) -> list[object]:
    options = {"compare_type": True, "compare_server_default": True}
    context = MigrationContext.configure(connection, opts=options)
    return compare_metadata(context, Base.metadata)


async def test_autogenerate_finds_no_difference_between_models_and_migrations(migrated):
    differences = await _on_database(migrated, _differences)
    assert differences == [], (
        "the models and the migrated schema differ; write the revision that makes them equal:\n"
        + "\n".join(map(repr, differences))
    )
