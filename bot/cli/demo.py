"""`refbot demo`: the product offline on a seeded partner network, no token needed."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import typer

from bot.cli.common import load_settings
from bot.demo.world import BuildFailed


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
    members: int | None = typer.Option(
        None, "--members", hidden=True, help="Synthetic members (tests use a smaller network)."
    ),
) -> None:
    settings = load_settings()
    data_dir: Path = settings.data_dir / "demo"
    data_dir.mkdir(parents=True, exist_ok=True)
    size = {} if members is None else {"members": members}
    try:
        if script:
            from bot.demo.script import run_demo

            code = asyncio.run(run_demo(data_dir, keep_running=keep_running, **size))
        else:
            from bot.demo.live import serve_demo

            code = asyncio.run(serve_demo(data_dir, port, **size))
    except BuildFailed as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    # Everything is stopped and closed by now. What is left is the interpreter's
    # teardown, whose garbage collections walked the whole heap (pandas,
    # scikit-learn, aiogram, the models): about 1 s of a 1.5 s Ctrl+C. Frozen,
    # the heap is freed by reference counts alone, in 0.1 s.
    gc.freeze()
    raise typer.Exit(code)
