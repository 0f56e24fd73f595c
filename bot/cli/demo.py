"""`refbot demo`: the product offline on a seeded partner network, no token needed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from bot.cli.common import load_settings


def register(app: typer.Typer) -> None:
    app.command(
        "demo",
        help="Run the whole product offline on a seeded partner network, with a "
        "Telegram-like chat page at http://127.0.0.1:8080.",
    )(demo)


def demo(
    port: int = typer.Option(8080, "--port", help="Port of the chat page, on 127.0.0.1."),
    script: bool = typer.Option(
        False, "--script", help="Print a scripted member's journey as a transcript instead."
    ),
    keep_running: bool = typer.Option(
        False, "--keep-running", help="With --script: keep the local Bot API server up after."
    ),
) -> None:
    settings = load_settings()
    data_dir: Path = settings.data_dir / "demo"
    data_dir.mkdir(parents=True, exist_ok=True)
    if script:
        from bot.demo import run_demo

        raise typer.Exit(asyncio.run(run_demo(data_dir, keep_running=keep_running)))
    from bot.demo.live import serve_demo

    raise typer.Exit(asyncio.run(serve_demo(data_dir, port)))
