"""Engine and session factory: SQLite (aiosqlite run inline, WAL), PostgreSQL (asyncpg).

Who commits: services own their transactions. Every public service method is
one unit of work (``async with self.db.begin() as session``); handlers and CLI
commands never commit and never see a session.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import BigInteger, Integer, MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from referral.sqlite_inline import inline_connector

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY, so 64-bit keys are BIGINT
# on PostgreSQL and INTEGER (which is 64-bit there anyway) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: object) -> AsyncEngine:
    """An engine configured for refbot's concurrency rules on either backend."""
    # Sessions always end their transaction (commit, or rollback on close), so
    # the pool's own rollback on every check-in is a redundant round trip.
    kwargs.setdefault("pool_reset_on_return", None)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # One connection per process: SQLite has a single writer anyway, and
        # waiting for the pool is an asyncio wait that wakes the moment the
        # connection is free, while waiting on a locked file is sleep-and-retry
        # (milliseconds lost per collision). Other processes (the CLI) meet
        # that wait, up to 30 s; the connection runs on the loop's thread
        # (referral/sqlite_inline.py says why).
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("async_creator", inline_connector(url, timeout=30))
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: AsyncEngine) -> None:
    # SQLite has one writer. A deferred transaction that reads and then writes
    # can fail with "database is locked" when another connection wrote in
    # between, so every transaction takes the write lock up front (BEGIN
    # IMMEDIATE) and waits for it (the connection's busy timeout, see
    # create_engine) instead of failing.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
