"""aiosqlite's connection, run on the event loop's own thread.

aiosqlite gives each connection a worker thread and hands it every statement,
fetch and commit through a queue, answering through the event loop. That buys
nothing here: refbot uses one SQLite connection per process, its statements
take microseconds on a local WAL file, and the sqlite3 module holds the GIL
for all but the page reads anyway. What it costs is two thread switches per
call and a GIL hand-over on each, which stall the event loop's own work:
measured with `python bench/bench_updates.py`, the /start -> consent flow ran
at about 760 updates/s through the worker thread and about 1,070/s inline,
with 30% less CPU per update.

The one thing the thread was good for is waiting: SQLite's busy handler
sleeps until another connection's write lock is gone, which inline would
block the whole loop (and deadlock two connections in one process, as the
tests open to play two processes). So the connection is opened with no busy
timeout, and a call that finds the database locked is retried after an
asyncio sleep, with SQLite's own back-off, until the timeout has passed.

Every call aiosqlite makes goes through ``Connection._execute``, and the few
that do not (connect, stop, and SQLAlchemy's isolation-level setter) through
the connection's ``_tx.put_nowait``; here that runs the call at once and
settles its future before the caller awaits it, so the await returns without
yielding to the loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Generator, Iterator
from functools import partial
from itertools import chain, repeat
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import make_url

# sqlite3's default busy handler sleeps these steps (sqlite3.c, sqliteDefaultBusyCallback).
_BUSY_DELAYS = (0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.025, 0.025, 0.05, 0.05)


def _busy_delays() -> Iterator[float]:
    return chain(_BUSY_DELAYS, repeat(0.1))


def _locked(error: sqlite3.OperationalError) -> bool:
    # Plain SQLITE_BUSY only: the case SQLite's own busy handler would wait
    # out. SQLITE_BUSY_SNAPSHOT and the like need a new transaction, not a retry.
    return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY


class _RunNow:
    """Stands in for aiosqlite's queue to its worker thread: runs each call on arrival."""

    def put_nowait(self, item: tuple[asyncio.Future | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting caller
            if future is not None and not future.done():
                future.set_exception(error)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection without its worker thread, waiting for locks on the loop."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], busy_timeout: float) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]
        self._busy_timeout = busy_timeout

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()  # no thread to start

    async def _execute(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        deadline = time.monotonic() + self._busy_timeout
        delays = _busy_delays()
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as error:
                if not _locked(error) or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(min(next(delays), max(0.0, deadline - time.monotonic())))


def inline_connector(url: str, timeout: float) -> Callable[[], InlineConnection]:
    """An ``async_creator`` for SQLAlchemy's aiosqlite dialect: a connection to
    the database of ``url`` that waits up to ``timeout`` seconds for another
    connection's lock, without blocking the event loop."""
    # The dialect's own reading of the URL (file, ?mode=, uri=): the same
    # sqlite3.connect arguments SQLAlchemy would pass, check_same_thread=False
    # among them (a pool may close a connection from another thread). No
    # busy timeout of SQLite's own: that would sleep on the loop's thread.
    args, options = SQLiteDialect_aiosqlite().create_connect_args(make_url(url))
    connect = partial(sqlite3.connect, *args, **{**options, "timeout": 0})
    return lambda: InlineConnection(connect, busy_timeout=timeout)
