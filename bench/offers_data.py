"""The databases bench_offers.py serves /offers from, written with bulk inserts
straight into a migrated SQLite file and kept under a data folder between runs.

large: 1,000,000 completed purchases by 100,000 consenting members of 5,000
services (100 companies x 50, 250 categories), popularity skewed as in real
shops (a few services bought by many), 20,000 cross-service links, a
relevance floor, rules and an outlet per company, a bundle in every company.
small: one company, ten services, one purchase per member: /offers has three
offers to show, as on the large one, from next to nothing.

Every member has a telegram id ``TELEGRAM_BASE + n`` (n from 0), so the bench
can speak as any of them.
"""

from __future__ import annotations

import random
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from migrations.runner import upgrade_async
from referral.consent import CONSENT_VERSION

TELEGRAM_BASE = 7_000_000_000
START = "2026-01-05 10:00:00.000000"


@dataclass(frozen=True)
class Shape:
    name: str
    purchases: int
    members: int
    companies: int
    services_per_company: int
    categories: int
    cross_links: int

    @property
    def services(self) -> int:
        return self.companies * self.services_per_company

    @property
    def file_name(self) -> str:
        return f"offers-{self.name}-p{self.purchases}-m{self.members}-s{self.services}-v1.sqlite3"


LARGE = Shape("large", 1_000_000, 100_000, 100, 50, 250, 20_000)


def scaled(fraction: float) -> Shape:
    """LARGE with every count times ``fraction`` (for a quick trial of the bench)."""
    if fraction == 1:
        return LARGE
    return Shape(
        "large",
        int(LARGE.purchases * fraction),
        int(LARGE.members * fraction),
        max(1, int(LARGE.companies * fraction)),
        LARGE.services_per_company,
        LARGE.categories,
        int(LARGE.cross_links * fraction),
    )


def small(members: int) -> Shape:
    return Shape("small", members, members, 1, 10, 10, 5)


async def database(shape: Shape, data_dir: Path) -> Path:
    """The cached file for ``shape``, generated first when absent (written under
    a temporary name and renamed, so an interrupted run leaves no half file);
    a cached file is migrated to the current schema first."""
    path = data_dir / shape.file_name
    if path.exists():  # brought to the current schema (the few tables migrations touch)
        await upgrade_async(f"sqlite+aiosqlite:///{path}")
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    began = time.perf_counter()
    await upgrade_async(f"sqlite+aiosqlite:///{partial}")
    with sqlite3.connect(partial) as connection:
        _fill(connection, shape, random.Random(20261201))
    partial.rename(path)
    print(f"generated {path.name} in {time.perf_counter() - began:.0f} s")
    return path


def _fill(db: sqlite3.Connection, shape: Shape, rng: random.Random) -> None:
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    companies = range(1, shape.companies + 1)
    db.executemany(
        "INSERT INTO companies (id, code, name) VALUES (?, ?, ?)",
        [(c, f"co{c}", f"Company {c}") for c in companies],
    )
    db.executemany(
        "INSERT INTO ledger_rules (company_id, invite_points, review_points, survey_points,"
        " purchase_points, cashback_bp, points_ttl_days, return_window_days,"
        " voucher_ttl_hours, point_value_minor, invite_daily_cap, invite_total_cap,"
        " require_phone) VALUES (?, 0, 0, 0, 0, ?, NULL, 14, 72, 100, 5, 50, 0)",
        [(c, 100 * (c % 5)) for c in companies],
    )
    db.executemany(
        "INSERT INTO offer_settings (company_id, relevance_threshold) VALUES (?, 0.0)",
        [(c,) for c in companies],
    )
    db.executemany(
        "INSERT INTO outlets (company_id, name, lat, lon) VALUES (?, ?, ?, ?)",
        [(c, f"Outlet {c}", 55 + rng.random(), 37 + rng.random()) for c in companies],
    )
    services = []
    for s in range(1, shape.services + 1):
        company = (s - 1) // shape.services_per_company + 1
        services.append(
            (
                s,
                company,
                f"s{s}",
                f"Service {s}",
                f"cat{s % shape.categories}",
                10_000 + 100 * (s % 97),
                (s % 4) * 5,
            )
        )
    db.executemany(
        "INSERT INTO services (id, company_id, code, name, category, price_minor,"
        " discount_percent, cashback_bp, active) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 1)",
        services,
    )
    for c in companies:
        first = (c - 1) * shape.services_per_company + 1
        db.execute(
            "INSERT INTO bundles (id, company_id, code, name, discount_percent)"
            " VALUES (?, ?, 'pair', 'Pair', 10)",
            (c, c),
        )
        db.executemany(
            "INSERT INTO bundle_items (bundle_id, service_id) VALUES (?, ?)",
            [(c, first), (c, first + 1)],
        )
    db.executemany(
        "INSERT INTO members (id, pseudonym, telegram_id, company_id, language, reachable)"
        " VALUES (?, ?, ?, ?, 'ru', 1)",
        (
            (m, f"b{m:09d}", TELEGRAM_BASE + m - 1, (m - 1) % shape.companies + 1)
            for m in range(1, shape.members + 1)
        ),
    )
    db.executemany(
        "INSERT INTO consents (member_id, company_id, version, accepted_at) VALUES (?, ?, ?, ?)",
        (
            (m, (m - 1) % shape.companies + 1, CONSENT_VERSION, START)
            for m in range(1, shape.members + 1)
        ),
    )
    links: set[tuple[int, int]] = set()
    while len(links) < min(shape.cross_links, shape.services * (shape.services - 1) // 2):
        a, b = rng.randrange(1, shape.services + 1), rng.randrange(1, shape.services + 1)
        if a != b and (b, a) not in links:
            links.add((a, b))
    db.executemany(
        "INSERT INTO cross_services (service_a_id, service_b_id, weight) VALUES (?, ?, ?)",
        [(a, b, round(0.1 + rng.random(), 3)) for a, b in sorted(links)],
    )
    db.executemany(
        "INSERT INTO purchases (company_id, member_id, service_id, amount_minor,"
        " purchased_at, client_ref, receipt, status, imported_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 'completed', ?)",
        _purchases(shape, rng),
    )
    db.commit()


def _purchases(shape: Shape, rng: random.Random):  # type: ignore[no-untyped-def]
    """Member n buys round-robin through the members, services skewed (Pareto)."""
    for p in range(shape.purchases):
        member = p % shape.members + 1
        if shape.name == "small":  # one purchase each, spread over the ten services
            service = p % shape.services + 1
        else:
            service = (
                min(int(rng.paretovariate(1.2)), shape.services)
                if rng.random() < 0.5
                else rng.randrange(1, shape.services + 1)
            )
        company = (service - 1) // shape.services_per_company + 1
        day = p % 300
        at = f"2026-{1 + day // 28:02d}-{1 + day % 28:02d} 12:00:00.000000"
        yield (company, member, service, 10_000 + p % 5_000, at, f"b{member:09d}", f"r{p}", at)


# PostgreSQL: the same rows, copied from the cached SQLite file into a fresh
# migrated database with COPY, then kept as a template each round clones
# (CREATE DATABASE ... TEMPLATE copies the files: seconds, not a second load).
FILLED_TABLES = (
    "companies",
    "ledger_rules",
    "offer_settings",
    "outlets",
    "services",
    "bundles",
    "bundle_items",
    "members",
    "consents",
    "cross_services",
    "purchases",
)


async def postgres_template(sqlite_path: Path, admin_url: str, name: str) -> str:
    """A PostgreSQL database ``name`` holding the rows of ``sqlite_path``; its URL."""
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    await _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _pg_admin(admin_url, f'CREATE DATABASE "{name}"')
    await upgrade_async(url)
    began = time.perf_counter()
    target = make_url(url)
    pg = await asyncpg.connect(
        host=target.host, port=target.port, user=target.username, database=name
    )
    try:
        with sqlite3.connect(sqlite_path) as lite:
            for table in FILLED_TABLES:
                await _copy_table(lite, pg, table)
        # The planner's statistics, as a live database has them (autovacuum
        # would gather them some time after a bulk load; clones copy them).
        await pg.execute("ANALYZE")
    finally:
        await pg.close()
    print(f"copied {sqlite_path.name} into PostgreSQL in {time.perf_counter() - began:.0f} s")
    return url


async def postgres_clone(admin_url: str, template: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    await _pg_admin(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def postgres_drop(admin_url: str, name: str) -> None:
    await _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _pg_admin(admin_url: str, sql: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url)
    conn = await asyncpg.connect(
        host=admin.host, port=admin.port, user=admin.username, database=admin.database
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _copy_table(lite: sqlite3.Connection, pg, table: str) -> None:  # type: ignore[no-untyped-def]
    """SQLite's rows of ``table`` into PostgreSQL's, typed as PostgreSQL's columns
    are (SQLite keeps times as text and booleans as integers)."""
    types = dict(
        await pg.fetch(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1",
            table,
        )
    )
    cursor = lite.execute(f"SELECT * FROM {table}")  # noqa: S608 - our own table names
    columns = [d[0] for d in cursor.description]
    convert = [_converter(types[c]) for c in columns]
    while rows := cursor.fetchmany(50_000):
        records = [tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in rows]
        await pg.copy_records_to_table(table, records=records, columns=columns)
    if "id" in columns:  # explicit ids were copied: the sequence goes on after them
        await pg.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" (SELECT coalesce(max(id), 1) FROM {table}))"
        )


def _converter(data_type: str):  # type: ignore[no-untyped-def]
    if data_type.startswith("timestamp"):
        return lambda v: None if v is None else _utc(datetime.fromisoformat(v))
    if data_type == "boolean":
        return lambda v: None if v is None else bool(v)
    return lambda v: v


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
