"""`refbot demo`: the product offline on a seeded partner network, no token needed."""

from __future__ import annotations

import asyncio
import gc
import os
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
    members: int | None = typer.Option(
        None, "--members", hidden=True, help="Synthetic members (tests use a smaller network)."
    ),
) -> None:
    # One OpenMP (and OpenBLAS) thread for the first start's training. On a
    # shared 2-core machine their spinning worker threads made K-Means and the
    # churn model's gradient boosting 10-20 times slower (about 28 s against
    # 1.5 s single-threaded under a load of 3); the demo's network is small
    # enough that a second thread gains nothing even when idle. Set before
    # scikit-learn loads its OpenMP runtime, which reads it once.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    settings = load_settings()
    data_dir: Path = settings.data_dir / "demo"
    data_dir.mkdir(parents=True, exist_ok=True)
    size = {} if members is None else {"members": members}
    if script:
        from bot.demo import run_demo

        code = asyncio.run(run_demo(data_dir, keep_running=keep_running, **size))
    else:
        from bot.demo.live import serve_demo

        code = asyncio.run(serve_demo(data_dir, port, **size))
    # Everything is stopped and closed by now. What is left is the interpreter's
    # teardown, whose garbage collections walked the whole heap (pandas,
    # scikit-learn, aiogram, the models): about 1 s of a 1.5 s Ctrl+C. Frozen,
    # the heap is freed by reference counts alone, in 0.1 s.
    gc.freeze()
    raise typer.Exit(code)
