"""The HTTP app on a real uvicorn in a thread of its own, for synchronous
clients (schemathesis, benchmarks): its own event loop, services and database."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from refbot.services import Services, build_services
from refbot.settings import Settings
from web.app import build_http_app
from web.server import serving


@contextmanager
def live_api(
    settings: Settings, seed: Callable[[Services], Awaitable[dict]]
) -> Iterator[tuple[str, dict]]:
    """(base URL, what ``seed`` returned) while the server runs."""
    ready = threading.Event()
    state: dict = {}

    async def main() -> None:
        services = build_services(settings)
        stop = asyncio.Event()
        state["stop"] = (asyncio.get_running_loop(), stop)
        try:
            state["seeded"] = await seed(services)
            async with serving(build_http_app(services), "127.0.0.1", 0) as server:
                state["url"] = f"http://127.0.0.1:{server.port}"
                ready.set()
                await stop.wait()
        except BaseException as error:
            state["error"] = error
            ready.set()
            raise
        finally:
            await services.close()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    ready.wait(60)
    if "error" in state:
        raise state["error"]
    try:
        yield state["url"], state["seeded"]
    finally:
        loop, stop = state["stop"]
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)


def migrated_sqlite(path: Path) -> str:
    from migrations.runner import upgrade

    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    return url
