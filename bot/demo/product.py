"""The product running for the demo: services on the demo's world, the real bot
long-polling the local Bot API server, and a clean stop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot, Dispatcher

from bot.app import build_bot, build_dispatcher
from bot.demo.world import LINK_SECRET, World
from bot.runner import run_polling
from localapi import LocalBotAPI
from refbot.services import Services, build_services
from refbot.settings import Settings
from web.app import build_http_app
from web.server import serving


@dataclass
class Product:
    settings: Settings
    services: Services
    bot: Bot
    dispatcher: Dispatcher


@contextlib.asynccontextmanager
async def running_product(
    world: World,
    api: LocalBotAPI,
    before_start: Callable[[Services], Awaitable[None]] | None = None,
    http_port: int | None = None,
) -> AsyncIterator[Product]:
    """The bot polls ``api`` until the block ends; then polling stops, the jobs
    stop, refbot's HTTP server stops and the database is closed, in that order,
    so nothing is cut mid-write. ``before_start`` runs before the bot starts
    (roles it must see at start-up). With ``http_port``, refbot's HTTP server
    (the CRM API and the workspace Mini App) serves on it too, on 127.0.0.1."""
    settings = Settings(
        _env_file=None,
        bot_token=api.token,
        telegram_api_url=api.url,
        database_url=world.database_url,
        data_dir=world.data_dir,
        link_secret=LINK_SECRET,
        # Visitors try things now, whatever the hour; and the synthetic members
        # are unreachable, so a visitor alone is a survey's whole audience.
        quiet_hours="",
        min_audience=1,
    )
    services = build_services(settings)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(services.close)
        if http_port is not None:
            server = await stack.enter_async_context(
                serving(build_http_app(services), "127.0.0.1", http_port)
            )
            # Mini App buttons point here. Settings insist on https, as Telegram
            # opens nothing else; the demo's page is the client, on loopback, so
            # the address is set past that check.
            settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{server.port}"})
            services.settings = settings
        if before_start is not None:
            await before_start(services)
        bot = build_bot(settings)
        stack.push_async_callback(bot.session.close)
        dp = build_dispatcher(services)
        polling = asyncio.create_task(run_polling(bot, dp, handle_signals=False))
        try:
            yield Product(settings, services, bot, dp)
        finally:
            api.queue.close()  # the bot's long poll answers now, not at its timeout
            with contextlib.suppress(RuntimeError):  # polling had not started yet
                await dp.stop_polling()
            await asyncio.gather(polling, return_exceptions=True)
