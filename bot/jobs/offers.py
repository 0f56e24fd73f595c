"""Scheduled offer jobs: retraining, regular purchase reminders, retention offers.

The domain decides who gets a message and logs the claim first; these jobs only
send. Jobs are in-memory (rebuilt at each start), so nothing is pickled.
Bulk sends respect BROADCAST_RATE with aiolimiter and skip quiet hours.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiolimiter import AsyncLimiter

from bot.jobs.periodic import Periodic
from bot.messages.offers import send_offers
from bot.texts import texts_for
from referral.offers.training import NothingToTrain, train

if TYPE_CHECKING:
    from refbot.services import Services

log = logging.getLogger(__name__)


def _quiet(services: Services, now: datetime | None = None) -> bool:
    window = services.settings.quiet_window
    if window is None:
        return False
    zone = services.settings.zone
    now = (now.astimezone(zone) if now else datetime.now(zone)).time()
    start, end = window
    return start <= now < end if start < end else now >= start or now < end


async def retrain(services: Services) -> None:
    try:
        report = await train(services.settings.data_dir, services.db)
    except NothingToTrain:
        log.info("retrain skipped: no purchases yet")
        return
    log.info("retrained offer models, version %s", report.version)


async def send_reminders(services: Services, bot: Bot, now: datetime | None = None) -> int:
    """Sends the reminders the domain claimed; ``now`` is for tests (default: the clock)."""
    if _quiet(services, now):
        return 0
    limiter = AsyncLimiter(services.settings.broadcast_rate, 1)
    sent = 0
    for nudge in await services.nudges.claim_reminders(now):
        texts = texts_for(nudge.language or "ru")
        async with limiter:
            with suppress(TelegramForbiddenError, TelegramBadRequest):
                await bot.send_message(
                    nudge.telegram_id,
                    texts(
                        "offers.reminder", service=_esc(nudge.service), company=_esc(nudge.company)
                    ),
                )
                sent += 1
    return sent


async def send_retention_offers(services: Services, bot: Bot, now: datetime | None = None) -> int:
    """Sends retention offers, most valuable members at risk first."""
    if _quiet(services, now):
        return 0
    limiter = AsyncLimiter(services.settings.broadcast_rate, 1)
    sent = 0
    for nudge in await services.nudges.claim_retention(now):
        views = await services.offers.offers_for(nudge.member_id, now=now)
        if not views:
            continue
        texts = texts_for(nudge.language or "ru")
        header = texts("offers.retention")
        bonus = await services.offers.retention_bonus(nudge.member_id, views, now)
        if bonus is not None:
            company = next(v.company for v in views if v.company_id == bonus.company_id)
            header += "\n" + texts(
                "offers.retention_bonus", points=bonus.points, company=escape(company)
            )
        async with limiter:
            with suppress(TelegramForbiddenError, TelegramBadRequest):
                await send_offers(bot, nudge.telegram_id, texts, views, header)
                sent += 1
    return sent


def _esc(text: str | None) -> str:
    return escape(text or "")


def offer_jobs(services: Services, bot: Bot) -> list[Periodic]:
    days = services.settings.retrain_days
    return [
        Periodic("offers-retrain", retrain, timedelta(days=days), (services,)),
        Periodic("offers-reminders", send_reminders, timedelta(hours=1), (services, bot)),
        Periodic("offers-retention", send_retention_offers, timedelta(days=1), (services, bot)),
    ]
