"""Long polling or webhook: how the running bot receives updates."""

from __future__ import annotations

import asyncio
import gc
import hmac
import logging
from urllib.parse import urlparse

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from refbot.settings import Settings

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


# Allocations (net of frees) between young-generation collections; CPython's default is 700.
YOUNG_COLLECTION_THRESHOLD = 50_000


def prepare_heap_for_serving() -> None:
    """Set the cyclic garbage collector up for a long-running bot.

    First, everything built so far (modules, pydantic schemas, the ORM
    mapper, the recommender's libraries: some 400,000 objects) is frozen out
    of the collector's sight. It lives as long as the process, yet every full
    collection walked it all: about half a second each, several times a
    minute under load, landing in whichever update happened to allocate.

    Then the young generation is collected every 50,000 allocations, not
    every 700. A burst of updates keeps thousands of requests in flight, and
    at 700 each young collection found them alive, promoted them, and so
    drove the older generations' collections: 1.2-2.0 s of the bot's ~8 s of
    CPU for 6,000 updates in bench/bench_updates.py's refbot run, counted
    with gc.callbacks, 15 full collections of 70 ms among them. Most of those
    objects are freed by reference counting long before 50,000 allocations;
    what the young collection then walks is the few still alive. The cost is
    that cyclic garbage waits longer: at most 50,000 objects, a few megabytes.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)


# Updates handled at once in long polling. Past it, polling waits before it
# asks Telegram for more, and what it has not fetched stays queued there.
MAX_UPDATES_IN_FLIGHT = 500


async def run_polling(
    bot: Bot,
    dp: Dispatcher,
    handle_signals: bool = True,
    max_in_flight: int | None = MAX_UPDATES_IN_FLIGHT,
) -> None:
    """Long polling with at most ``max_in_flight`` updates handled at once (None: no bound).

    Unbounded, aiogram starts a task for every update it fetches and fetches
    again at once, so a backlog (after downtime, or a campaign's first
    minutes) turns into as many concurrent tasks as there are updates, and
    memory grows with it. Measured on bench/bench_updates.py's refbot role
    with and without the bound (peak RSS from getrusage, two runs each),
    peak RSS for a burst of 5,000 users went from 363-405 MiB to 351-352 MiB,
    and the rate did not drop (2,000 users: within the noise; 5,000: 923-941
    -> 1,091-1,113 updates/s, fewer live objects for each collection to walk).
    """
    # getUpdates answers 409 while a webhook is set, e.g. after webhook mode.
    await bot.delete_webhook(drop_pending_updates=False)
    await dp.start_polling(
        bot,
        allowed_updates=dp.resolve_used_update_types(),
        handle_signals=handle_signals,
        tasks_concurrency_limit=max_in_flight,
    )


def webhook_app(bot: Bot, dp: Dispatcher, settings: Settings) -> web.Application:
    """An aiohttp app that takes Telegram's POSTs; a wrong secret gets 403."""
    path = urlparse(settings.webhook_url).path or "/webhook"
    expected = settings.webhook_secret

    @web.middleware
    async def check_secret(request: web.Request, handler):  # type: ignore[no-untyped-def]
        if request.path == path:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), expected.encode()):
                log.warning("webhook request with a wrong secret from %s", request.remote)
                return web.Response(status=403, text="Forbidden")
        return await handler(request)

    app = web.Application(middlewares=[check_secret])
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=expected).register(app, path=path)
    setup_application(app, dp, bot=bot)

    async def register_hook(_: web.Application) -> None:
        await bot.set_webhook(
            settings.webhook_url,
            secret_token=expected,
            allowed_updates=dp.resolve_used_update_types(),
        )

    app.on_startup.append(register_hook)
    return app


async def run_webhook(bot: Bot, dp: Dispatcher, settings: Settings) -> None:
    runner = web.AppRunner(webhook_app(bot, dp, settings))
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    log.info("webhook listening on %s:%s", settings.webhook_host, settings.webhook_port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
