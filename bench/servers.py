"""The two servers a bench compares, each in its own process the way it is
deployed: refbot (`refbot api`) and a bare FastAPI baseline that the bench file
itself serves when run with ``--bare-server PORT``. Shared by bench_api.py and
bench_crm.py so both start, wait for and stop them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]


def bench_parser() -> argparse.ArgumentParser:
    """The bench's own options go on this; ``--bare-server`` is how it serves its baseline."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    return parser


def server_env(database_url: str, data_dir: Path | str, **extra: str) -> dict[str, str]:
    """What both servers read: one database, quiet logs, the repository importable."""
    return {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "LINK_SECRET": "b",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


async def serve_bare(app: Any, port: int) -> None:
    """The baseline app on 127.0.0.1 under refbot's own uvicorn setup, until a signal."""
    from web.server import serving, stop_on_signals

    stop = stop_on_signals()
    async with serving(app, "127.0.0.1", port):
        await stop.wait()


async def start(args: list[str], env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    """A Python process with ``args``, once it answers HTTP on ``port``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, env={**os.environ, **env}, cwd=ROOT
    )
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"http://127.0.0.1:{port}/nothing"):
                    return process
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    process.terminate()
    await process.wait()
    raise RuntimeError(f"server on {port} did not start")


@asynccontextmanager
async def refbot_and_bare(
    bench_file: str, env: dict[str, str], refbot_port: int, bare_port: int
) -> AsyncIterator[None]:
    """`refbot api` on ``refbot_port`` and ``bench_file --bare-server`` on ``bare_port``."""
    refbot = await start(
        ["-c", "from bot.cli import main; main()", "api"],
        {**env, "HTTP_PORT": str(refbot_port)},
        refbot_port,
    )
    try:
        bare = await start([bench_file, "--bare-server", str(bare_port)], env, bare_port)
    except BaseException:
        refbot.terminate()
        await refbot.wait()
        raise
    try:
        yield
    finally:
        for process in (refbot, bare):
            process.terminate()
            await process.wait()


@asynccontextmanager
async def seeding(database_url: str, data_dir: Path, bare_columns: str) -> AsyncIterator[Any]:
    """refbot's services on a freshly migrated database, with the baseline's table
    ``bench_bare`` (id, then ``bare_columns``), for a bench to seed; closed after."""
    from sqlalchemy import text

    from migrations.runner import upgrade_async
    from refbot.services import build_services
    from refbot.settings import Settings

    await upgrade_async(database_url)
    services = build_services(
        Settings(_env_file=None, database_url=database_url, data_dir=data_dir, link_secret="b")
    )
    key = "INTEGER PRIMARY KEY" if database_url.startswith("sqlite") else "BIGSERIAL PRIMARY KEY"
    try:
        async with services.engine.begin() as connection:
            await connection.execute(text(f"CREATE TABLE bench_bare (id {key}, {bare_columns})"))
        yield services
    finally:
        await services.close()
