"""The demo's world on disk: DATA_DIR/demo/demo.sqlite3 and its models/, fresh
for every run, copied from a template that is built once and kept.

Building the template (migrations, the seeded network, training) takes some
10-20 s on two cores, most of it the seed's bulk history and the training
(`refbot demo` prints each phase's seconds); copying it takes well under a
second. The template's name carries a fingerprint of everything that
shapes it (the seed's code, the migrations, the recommender and offer code,
the number of members), so a change to any of them builds a new one, and a
template older than a week is rebuilt so the histories end near today.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.demo.seed import seed
from migrations.runner import upgrade_async
from refbot.services import build_services
from refbot.settings import Settings
from referral.offers.training import train

DATABASE = "demo.sqlite3"
MODELS = "models"
MAX_TEMPLATE_AGE_SECONDS = 7 * 24 * 3600
_ROOT = Path(__file__).resolve().parents[2]
# What the template's rows and models depend on; the page and the CLI do not count.
_SHAPING = (
    "bot/demo/bulk.py",
    "bot/demo/histories.py",
    "bot/demo/network.py",
    "bot/demo/seed.py",
    "bot/demo/world.py",
    "migrations/versions/*.py",
    "recommender/*.py",
    "referral/offers/*.py",
    "referral/ledger/*.py",
)


@dataclass(frozen=True)
class World:
    database_url: str
    data_dir: Path
    built: bool  # False: copied from a template made earlier
    seconds: float


def fingerprint(members: int) -> str:
    digest = hashlib.sha256(str(members).encode())
    for pattern in _SHAPING:
        for path in sorted(_ROOT.glob(pattern)):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


async def fresh_world(
    data_dir: Path, members: int, link_secret: str, echo: Callable[[str], None]
) -> World:
    """A new database and models under ``data_dir``, from the template (built first if needed)."""
    started = time.perf_counter()
    template = data_dir / f"template-{fingerprint(members)}-{members}"
    built = not _usable(template)
    if built:
        echo(
            f"Building the demo network once ({members} members, some 10-20 s; "
            "later runs start from a copy)..."
        )
        await _build(template, members, link_secret, echo)
    for stale in (DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm"):
        (data_dir / stale).unlink(missing_ok=True)
    shutil.rmtree(data_dir / MODELS, ignore_errors=True)
    _copy_database(template / DATABASE, data_dir / DATABASE)
    shutil.copytree(template / MODELS, data_dir / MODELS)
    url = f"sqlite+aiosqlite:///{(data_dir / DATABASE).resolve()}"
    return World(url, data_dir, built, time.perf_counter() - started)


def _usable(template: Path) -> bool:
    marker = template / "complete"
    return marker.exists() and time.time() - marker.stat().st_mtime < MAX_TEMPLATE_AGE_SECONDS


async def _build(
    template: Path, members: int, link_secret: str, echo: Callable[[str], None]
) -> None:
    for old in template.parent.glob("template-*"):
        shutil.rmtree(old, ignore_errors=True)
    template.mkdir(parents=True)
    url = f"sqlite+aiosqlite:///{(template / DATABASE).resolve()}"
    phase = time.perf_counter()
    await upgrade_async(url)
    settings = Settings(
        _env_file=None,
        bot_token="123456789:demo-template",
        database_url=url,
        data_dir=template,
        link_secret=link_secret,
    )
    services = build_services(settings)
    try:
        echo(f"  database schema ({_since(phase)})")
        phase = time.perf_counter()
        report = await seed(services, members=members)
        echo(
            f"  {report.companies} partners, {report.members} members "
            f"({report.drifting} drifting away), {report.purchases} purchases ({_since(phase)})"
        )
        phase = time.perf_counter()
        trained = await train(template, services.db, tune=False)
        echo(
            f"  trained offer models v{trained.version}: {', '.join(trained.trained)} "
            f"({_since(phase)})"
        )
    finally:
        await services.close()
    (template / "complete").touch()


def _since(started: float) -> str:
    return f"{time.perf_counter() - started:.1f} s"


def _copy_database(source: Path, target: Path) -> None:
    """SQLite's backup API: a consistent copy whatever the WAL still holds."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
