"""Serving the HTTP app with uvicorn inside a running event loop.

`refbot run` serves it beside the bot and `refbot api` alone; either way the
process, not uvicorn, owns SIGINT and SIGTERM, so one signal stops everything
in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Generator

import uvicorn
from fastapi import FastAPI


class EmbeddedServer(uvicorn.Server):
    """uvicorn's Server without its own signal handlers.

    ``Server.serve`` wraps the serving in ``capture_signals`` (uvicorn 0.29+),
    which replaces the process's SIGINT/SIGTERM handlers, stops the HTTP server
    on its own while the bot still runs, and re-raises the signal afterwards.
    With it off, the one stop event orders the shutdown: bot first, then HTTP.
    tests/api/test_server.py fails loudly if uvicorn renames the hook.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    @property
    def port(self) -> int:
        """The port actually bound (useful when asked for port 0)."""
        return self.servers[0].sockets[0].getsockname()[1]


def http_server(app: FastAPI, host: str, port: int) -> EmbeddedServer:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_level="warning",
        access_log=False,
        server_header=False,
    )
    return EmbeddedServer(config)


@contextlib.asynccontextmanager
async def serving(app: FastAPI, host: str, port: int) -> AsyncIterator[EmbeddedServer]:
    """The app served on host:port for the duration of the block."""
    server = http_server(app, host, port)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # a failed start (port taken) raises here
            raise RuntimeError("the HTTP server stopped before it started")
        await asyncio.sleep(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        await task


def stop_on_signals() -> asyncio.Event:
    """An event set by the first SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
