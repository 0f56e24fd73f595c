"""SQLite through aiosqlite run on the event loop's thread (referral/sqlite_inline.py),
against a real database file."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from referral.db import create_engine
from referral.sqlite_inline import inline_connector


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite+aiosqlite:///{tmp_path / 'inline.sqlite3'}"


async def test_statements_run_on_the_loop_thread_and_start_no_thread(database_url):
    threads_before = threading.active_count()
    engine = create_engine(database_url)

    @event.listens_for(engine.sync_engine, "connect")
    def _register(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.create_function("thread_ident", 0, threading.get_ident)

    try:
        async with engine.connect() as connection:
            ident = (await connection.execute(text("SELECT thread_ident()"))).scalar_one()
            assert threading.active_count() == threads_before
    finally:
        await engine.dispose()
    assert ident == threading.get_ident()


async def test_a_failed_statement_raises_and_the_connection_goes_on(database_url):
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
            await connection.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO t VALUES (2)"))
                await connection.execute(text("INSERT INTO t VALUES (1)"))
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT id FROM t"))).scalars().all()
    finally:
        await engine.dispose()
    assert rows == [1]  # the failed transaction left nothing behind


async def test_a_locked_database_is_waited_for_without_blocking_the_loop(database_url, tmp_path):
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    await engine.dispose()

    other = sqlite3.connect(tmp_path / "inline.sqlite3")
    other.isolation_level = None
    other.execute("BEGIN IMMEDIATE")  # another process's writer, as the CLI would be
    # Only a loop that keeps running while our insert waits can let go of the lock.
    asyncio.get_running_loop().call_later(0.3, other.execute, "COMMIT")
    patient = create_engine(database_url, async_creator=inline_connector(database_url, 5))
    started = time.monotonic()
    try:
        async with patient.begin() as connection:
            await connection.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        await patient.dispose()
    assert 0.3 <= time.monotonic() - started < 5

    other.execute("BEGIN IMMEDIATE")
    hasty = create_engine(database_url, async_creator=inline_connector(database_url, 0.2))
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with hasty.begin() as connection:
                await connection.execute(text("INSERT INTO t VALUES (2)"))
    finally:
        await hasty.dispose()
        other.execute("ROLLBACK")
        other.close()
    assert 0.2 <= time.monotonic() - started < 2


async def test_two_engines_on_one_file_in_one_loop_take_turns(database_url):
    """Tests play two processes with two engines in one loop: the second one's
    writer waits for the first's commit instead of deadlocking the thread."""
    first, second = create_engine(database_url), create_engine(database_url)
    try:
        async with first.begin() as connection:
            await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        order: list[str] = []

        async def slow_writer() -> None:
            async with first.begin() as connection:
                await connection.execute(text("INSERT INTO t VALUES (1)"))
                await asyncio.sleep(0.2)  # holds the write lock across an await
                order.append("first commits")

        async def second_writer() -> None:
            await asyncio.sleep(0.05)
            async with second.begin() as connection:
                await connection.execute(text("INSERT INTO t VALUES (2)"))
            order.append("second commits")

        await asyncio.wait_for(asyncio.gather(slow_writer(), second_writer()), 10)
        async with second.connect() as connection:
            rows = (await connection.execute(text("SELECT id FROM t ORDER BY id"))).scalars()
            assert rows.all() == [1, 2]
    finally:
        await first.dispose()
        await second.dispose()
    assert order == ["first commits", "second commits"]
