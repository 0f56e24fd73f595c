"""The one assembly point: Bot, Dispatcher and scheduler from Settings and Services.

Used by `refbot run`, `python -m bot`, the demo and the end-to-end tests, so
the tests run the real dispatcher.
"""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.commands import publish_menus, publish_staff_menus
from bot.errors import error_handler
from bot.jobs import schedule_jobs, stop_jobs
from bot.keyboards.workspace import publish_menu_buttons
from bot.middlewares.admission import AdmissionMiddleware
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.routers import get_routers
from bot.session import build_session
from bot.texts import warm as warm_texts
from refbot.services import Services
from refbot.settings import Settings
from referral.gate import UpdateGate
from referral.offers.stats import PartnerStats

log = logging.getLogger(__name__)


def build_bot(settings: Settings) -> Bot:
    return Bot(
        settings.require_token(),
        session=build_session(settings.telegram_api_url),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def build_storage(settings: Settings) -> BaseStorage:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(settings.redis_url)
    return MemoryStorage()


def build_dispatcher(
    services: Services,
    storage: BaseStorage | None = None,
    throttle: ThrottlingMiddleware | None = None,
) -> Dispatcher:
    settings = services.settings
    warm_texts()  # before the serving heap is frozen (bot.runner)
    dp = Dispatcher(storage=storage or build_storage(settings))
    dp["settings"] = settings
    dp["companies"] = services.companies
    dp["members"] = services.members
    dp["link_key"] = settings.link_key
    dp["ledger"] = services.ledger
    dp["loyalty"] = services.loyalty
    dp["surveys"] = services.surveys
    dp["survey_answers"] = services.survey_answers
    dp["survey_results"] = services.survey_results
    dp["offers"] = services.offers
    dp["workspace_access"] = services.workspace_access
    dp["leads"] = services.leads
    dp["threads"] = services.threads
    dp["stats"] = PartnerStats(services.db, settings.min_audience, settings.zone)

    dp.update.outer_middleware(
        AdmissionMiddleware(UpdateGate(services.db, services.roles), services.updates)
    )
    throttle = throttle or ThrottlingMiddleware()
    dp.message.outer_middleware(throttle)
    dp.callback_query.outer_middleware(throttle)
    dp.errors.register(error_handler(services.members))
    dp.include_routers(*get_routers())

    scheduler = AsyncIOScheduler(timezone=settings.zone)

    async def on_startup(bot: Bot) -> None:
        me = await bot.me()
        await publish_menus(bot)
        staff = await services.roles.staff()
        await publish_staff_menus(bot, staff)
        await publish_menu_buttons(bot, staff, settings.public_url)
        # APScheduler needs the running loop, so it starts here, not at build time.
        schedule_jobs(scheduler, services, bot)
        scheduler.start()
        dp["bot_username"] = settings.bot_username or me.username  # last: marks "started"
        log.info("bot @%s started", dp["bot_username"])

    async def on_shutdown() -> None:
        # Jobs first: APScheduler's shutdown cancels the coroutines still running.
        await stop_jobs(services)
        if scheduler.running:
            scheduler.shutdown(wait=False)

    dp.startup.register(on_startup)
    dp.shutdown.register(on_shutdown)
    dp["scheduler"] = scheduler
    return dp
