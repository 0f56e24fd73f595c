"""Long polling or webhook: how the running bot receives updates, beside the HTTP app."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import logging
from urllib.parse import urlparse

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from refbot.settings import Settings
from web.server import serving

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


def add_webhook_route(app: FastAPI, bot: Bot, dp: Dispatcher, settings: Settings) -> None:
    """Telegram's POSTs on WEBHOOK_URL's path of the one HTTP app; a wrong secret gets 403.

    Like aiogram's SimpleRequestHandler, the update is handled in the
    background and Telegram gets its 200 at once, so a slow handler never makes
    Telegram resend the update.
    """
    path = urlparse(settings.webhook_url).path or "/webhook"
    expected = settings.webhook_secret.encode()
    in_flight: set[asyncio.Task[None]] = set()

    async def telegram_update(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), expected):
            log.warning("webhook request with a wrong secret from %s", request.client)
            return Response("Forbidden", status_code=403)
        try:
            update = Update.model_validate(await request.json(), context={"bot": bot})
        except ValueError:  # malformed JSON and pydantic's ValidationError alike
            return Response("not an update", status_code=400)
        task = asyncio.create_task(_handle_update(bot, dp, update))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        return JSONResponse({})

    app.add_api_route(path, telegram_update, methods=["POST"], include_in_schema=False)


async def _handle_update(bot: Bot, dp: Dispatcher, update: Update) -> None:
    try:
        result = await dp.feed_update(bot, update)
        if isinstance(result, TelegramMethod):
            await dp.silent_call_request(bot, result)
    except Exception:  # polling logs and goes on; so does the webhook
        log.exception("update %s failed", update.update_id)


async def serve_bot_and_http(
    bot: Bot, dp: Dispatcher, app: FastAPI, settings: Settings, stop: asyncio.Event
) -> None:
    """The bot (polling, or webhook when WEBHOOK_URL is set) and the HTTP app on
    HTTP_HOST:HTTP_PORT, until ``stop`` is set or either of them ends."""
    if settings.webhook_url:
        add_webhook_route(app, bot, dp, settings)
    async with serving(app, settings.http_host, settings.http_port):
        log.info("HTTP on %s:%s", settings.http_host, settings.http_port)
        if settings.webhook_url:
            await _serve_webhook(bot, dp, settings, stop)
        else:
            await _serve_polling(bot, dp, stop)


async def _serve_webhook(bot: Bot, dp: Dispatcher, settings: Settings, stop: asyncio.Event) -> None:
    await dp.emit_startup(bot=bot, dispatcher=dp, **dp.workflow_data)
    try:
        await bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=dp.resolve_used_update_types(),
        )
        await stop.wait()
    finally:
        await dp.emit_shutdown(bot=bot, dispatcher=dp, **dp.workflow_data)


async def _serve_polling(bot: Bot, dp: Dispatcher, stop: asyncio.Event) -> None:
    polling = asyncio.create_task(run_polling(bot, dp, handle_signals=False))
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({polling, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not polling.done():
        with contextlib.suppress(RuntimeError):  # polling had not started yet
            await dp.stop_polling()
    await polling
