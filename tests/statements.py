"""Watching the SQL a test's services send."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


def record_statements(db: async_sessionmaker[AsyncSession]) -> list[tuple[str, Any]]:
    """A list that fills with (SQL, compiled statement) for every statement
    the connection of ``db`` (the ``db`` fixture's) runs from now on."""
    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append((statement, context.compiled))

    event.listen(db.kw["bind"].sync_connection, "before_cursor_execute", record)
    return seen
