"""The product running for the demo: services on the demo's world, the real bot
long-polling the local Bot API server, and a clean stop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot, Dispatcher

from bot.app import build_bot, build_dispatcher
from bot.demo.world import World
from bot.runner import run_polling
from localapi import LocalBotAPI
from refbot.services import Services, build_services
from refbot.settings import Settings

LINK_SECRET = "refbot-demo"  # signs the demo's QR links; the demo holds no real secret
BOT_USERNAME = "refbot_demo_bot"


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
) -> AsyncIterator[Product]:
    """The bot polls ``api`` until the block ends; then polling stops, the jobs
    stop and the database is closed, in that order, so nothing is cut mid-write.
    ``before_start`` runs before the bot starts (roles it must see at start-up)."""
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
    if before_start is not None:
        await before_start(services)
    bot = build_bot(settings)
    dp = build_dispatcher(services)
    polling = asyncio.create_task(run_polling(bot, dp, handle_signals=False))
    try:
        yield Product(settings, services, bot, dp)
    finally:
        with contextlib.suppress(RuntimeError):  # polling had not started yet
            await dp.stop_polling()
        await asyncio.gather(polling, return_exceptions=True)
        await bot.session.close()
        await services.close()
