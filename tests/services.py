"""Real servers for integration tests: PostgreSQL and Redis on this machine.

A test that needs one skips with the reason when it is absent, and fails
instead when REFBOT_REQUIRE_SERVICES=1 (as in CI), so a missing server can
never turn into a silently green run.
"""

from __future__ import annotations

import os
import secrets

import pytest

PG_ADMIN_URL = os.environ.get(
    "REFBOT_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("REFBOT_TEST_REDIS", "redis://127.0.0.1:6379/15")


def required() -> bool:
    return os.environ.get("REFBOT_REQUIRE_SERVICES") == "1"


def unavailable(what: str, error: BaseException) -> None:
    message = (
        f"{what} is not reachable ({type(error).__name__}: {error}); start it as `env` describes"
    )
    if required():
        pytest.fail(message + " [REFBOT_REQUIRE_SERVICES=1]")
    pytest.skip(message)


async def _admin_connection():  # type: ignore[no-untyped-def]
    """A connection to the server's admin database (PG_ADMIN_URL)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    admin = make_url(PG_ADMIN_URL)
    return await asyncpg.connect(
        host=admin.host,
        port=admin.port,
        user=admin.username,
        password=admin.password,
        database=admin.database,
        timeout=5,
    )


async def create_pg_database() -> str:
    """A fresh, empty database on the local server; returns its async URL."""
    import asyncpg
    from sqlalchemy.engine import make_url

    name = f"refbot_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        conn = await _admin_connection()
    except (OSError, asyncpg.PostgresError) as error:
        unavailable("PostgreSQL", error)
        raise
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


async def drop_pg_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    conn = await _admin_connection()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await conn.close()


async def redis_url() -> str:
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        unavailable("Redis", error)
    finally:
        await client.aclose()
    return REDIS_URL
