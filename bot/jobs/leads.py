"""The lead pipeline's jobs: a pass every LEAD_PIPELINE_MINUTES (once per tick
across processes, behind its lease), and the webhook outbox drained every few
seconds in every process (its rows are claimed, so more processes only help).

``BotLeadSender`` is the bot's half of a pass: the offer in the member's chat
(with the usual Accept / Not interested buttons of its shown offer) and the
notice to the partner's admins once a lead is delivered.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from html import escape
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.jobs.periodic import Periodic
from bot.keyboards.leads import lead_keyboard
from bot.keyboards.offers import offer_keyboard
from bot.messages.threads import relay_unsent
from bot.texts import texts_for
from referral.leads.pipeline import (
    PIPELINE_LEASE,
    RETRY,
    SENT,
    UNREACHABLE,
    OfferToSend,
    PartnerNotice,
)
from referral.members import MemberService

if TYPE_CHECKING:
    from refbot.services import Services

log = logging.getLogger(__name__)
WEBHOOK_DRAIN_SECONDS = 5


class BotLeadSender:
    def __init__(self, bot: Bot, members: MemberService) -> None:
        self.bot, self.members = bot, members

    async def offer(self, offer: OfferToSend) -> str:
        texts = texts_for(offer.language or "ru")
        try:
            await self.bot.send_message(
                offer.telegram_id,
                texts("leads.offer", company=escape(offer.company), service=escape(offer.service)),
                reply_markup=offer_keyboard(texts, offer.offer_id),
            )
        except TelegramForbiddenError:
            await self.members.set_reachable(offer.telegram_id, False)
            return UNREACHABLE
        except TelegramAPIError as error:  # 429, network: the next pass tries again
            log.warning("lead %s: offer not sent: %s", offer.lead_id, error)
            return RETRY
        return SENT

    async def tell_partner(self, notice: PartnerNotice) -> None:
        for chat, language in notice.chats:
            texts = texts_for(language or "ru")
            try:
                await self.bot.send_message(
                    chat,
                    texts(
                        "leads.delivered",
                        id=notice.lead_id,
                        company=escape(notice.company),
                        service=escape(notice.service),
                        code=notice.pseudonym,
                    ),
                    reply_markup=lead_keyboard(texts, notice.lead_id),
                )
            except TelegramAPIError as error:  # the lead is in /leads and the API anyway
                log.warning("lead %s: partner notice not sent: %s", notice.lead_id, error)


async def run_lead_pass(services: Services, bot: Bot) -> str:
    report = await services.lead_pipeline.run(BotLeadSender(bot, services.members))
    if report.moved:
        log.info("lead pipeline pass: %s", report)
    return str(report)


async def relay(services: Services, bot: Bot) -> int:
    """Every few seconds: partner admins told of leads just delivered (a member's
    Accept delivers at once), and partners' messages queued over the API."""
    sender = BotLeadSender(bot, services.members)
    told = 0
    for notice in await services.lead_pipeline.notices():
        await sender.tell_partner(notice)
        await services.lead_pipeline.notified(notice.lead_id, datetime.now(UTC))
        told += 1
    return told + await relay_unsent(bot, services.threads)


def lead_jobs(services: Services, bot: Bot) -> list[Periodic]:
    minutes = services.settings.lead_pipeline_minutes
    return [
        Periodic(PIPELINE_LEASE, run_lead_pass, timedelta(minutes=minutes), (services, bot)),
        # Notices and partners' API messages: relayed once, by one process.
        Periodic("leads-relay", relay, timedelta(seconds=5), (services, bot)),
    ]


def schedule_webhook_drain(scheduler: AsyncIOScheduler, services: Services) -> None:
    scheduler.add_job(
        services.webhooks.drain,
        "interval",
        seconds=WEBHOOK_DRAIN_SECONDS,
        id="leads-webhooks",
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
