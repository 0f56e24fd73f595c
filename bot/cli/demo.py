"""`refbot demo`: the product offline on seeded data, no token needed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from bot.cli.common import load_settings


def register(app: typer.Typer) -> None:
    app.command("demo", help="Run the whole product offline on seeded data, for a first look.")(
        demo
    )


def demo(
    keep_running: bool = typer.Option(
        False, "--keep-running", help="Keep the local Bot API server up afterwards."
    ),
) -> None:
    from bot.demo import run_demo

    settings = load_settings()
    data_dir: Path = settings.data_dir / "demo"
    data_dir.mkdir(parents=True, exist_ok=True)
    raise typer.Exit(asyncio.run(run_demo(data_dir, keep_running=keep_running)))
