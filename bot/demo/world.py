"""The demo's world on disk: DATA_DIR/demo/demo.sqlite3 and its models/, fresh
for every run, copied from a template that is built once and kept.

Building the template (build.py: migrations, the seeded network, training)
takes some 10-20 s on two cores, in a process of its own, while this one
loads the bot; copying it takes well under a second. The template's name
carries a fingerprint of everything that shapes it (the seed's code, the
migrations, the recommender and offer code, the number of members), so a
change to any of them builds a new one, and a template older than a week is
rebuilt so the histories end near today.

This module stays light (no SQLAlchemy, pandas or aiogram): `refbot demo`
imports it first, so the build starts before anything heavy loads.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DATABASE = "demo.sqlite3"
MODELS = "models"
MAX_TEMPLATE_AGE_SECONDS = 7 * 24 * 3600
LINK_SECRET = "refbot-demo"  # signs the demo's QR links; the demo holds no real secret
BOT_USERNAME = "refbot_demo_bot"
_ROOT = Path(__file__).resolve().parents[2]
# What the template's rows and models depend on; the page and the CLI do not count.
_SHAPING = (
    "bot/demo/build.py",
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


class BuildFailed(RuntimeError):
    """The template's build process ended without finishing it."""


def fingerprint(members: int) -> str:
    digest = hashlib.sha256(str(members).encode())
    for pattern in _SHAPING:
        for path in sorted(_ROOT.glob(pattern)):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def complete(template: Path) -> Path:
    """The marker a finished build leaves; only a marked template is copied."""
    return template / "complete"


async def fresh_world(
    data_dir: Path, members: int, link_secret: str, echo: Callable[[str], None]
) -> World:
    """A new database and models under ``data_dir``, from the template (built first if needed).

    Cancelled during the build, the build process is stopped and its template
    left unmarked, so the next start builds it again."""
    started = time.perf_counter()
    template = data_dir / f"template-{fingerprint(members)}-{members}"
    built = not _usable(template)
    if built:
        echo(
            f"Building the demo network once ({members} members, some 10-20 s; "
            "later runs start from a copy)..."
        )
        await _build_in_own_process(template, members, link_secret, echo)
    for stale in (DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm"):
        (data_dir / stale).unlink(missing_ok=True)
    shutil.rmtree(data_dir / MODELS, ignore_errors=True)
    _copy_database(template / DATABASE, data_dir / DATABASE)
    shutil.copytree(template / MODELS, data_dir / MODELS)
    url = f"sqlite+aiosqlite:///{(data_dir / DATABASE).resolve()}"
    return World(url, data_dir, built, time.perf_counter() - started)


def _usable(template: Path) -> bool:
    marker = complete(template)
    return marker.exists() and time.time() - marker.stat().st_mtime < MAX_TEMPLATE_AGE_SECONDS


async def _build_in_own_process(
    template: Path, members: int, link_secret: str, echo: Callable[[str], None]
) -> None:
    """`python -m bot.demo.build`, its lines passed on to ``echo`` as they come."""
    build = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.demo.build",
        str(template),
        str(members),
        link_secret,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        # Its own session: Ctrl+C reaches this process alone, which stops the
        # build itself (below) rather than have it print a KeyboardInterrupt.
        start_new_session=True,
    )
    said: list[str] = []
    try:
        assert build.stdout is not None
        async for raw in build.stdout:
            said.append(raw.decode(errors="replace").rstrip("\n"))
            echo(said[-1])
        code = await build.wait()
    finally:
        if build.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                build.kill()
            await build.wait()
    if code != 0 or not complete(template).exists():
        last = "\n".join(said[-20:])
        raise BuildFailed(f"building the demo network failed (exit {code}):\n{last}")


def _copy_database(source: Path, target: Path) -> None:
    """SQLite's backup API: a consistent copy whatever the WAL still holds."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
