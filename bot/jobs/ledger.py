"""The ledger's scheduled jobs: pending-transfer timeouts, expiry, reminders,
review points a short deposit refused.

Each is a plain coroutine taking ``now``, so tests call them directly; the
scheduler only passes ids and the long-lived services (nothing is pickled).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError

from bot.jobs.periodic import Periodic
from bot.texts import texts_for
from referral.ledger.ledger import Ledger

if TYPE_CHECKING:
    from refbot.services import Services

log = logging.getLogger(__name__)


async def settle_and_expire(ledger: Ledger, now: datetime | None = None) -> None:
    posted, voided = await ledger.settle_due(now)
    expired = await ledger.expire_due(now)
    if posted or voided or expired:
        log.info("ledger: %s posted, %s voided, %s points expired", posted, voided, expired)


async def remind_expiring(services: Services, bot: Bot, now: datetime | None = None) -> int:
    """Send the week-before-expiry reminders; how many were sent."""
    sent = 0
    for reminder in await services.ledger.reminders_due(now):
        company = await services.companies.get_by_id(reminder.company_id)
        texts = texts_for(reminder.language or "ru")
        try:
            await bot.send_message(
                reminder.telegram_id,
                texts(
                    "wallet.expiring",
                    points=reminder.points,
                    company=company.name,
                    date=reminder.expires_at.strftime("%d.%m.%Y"),
                ),
            )
            sent += 1
        except TelegramForbiddenError:
            await services.members.set_reachable(reminder.telegram_id, False)
        except TelegramBadRequest as error:
            log.warning("reminder to member %s failed: %s", reminder.member_id, error)
    return sent


def ledger_jobs(services: Services, bot: Bot) -> list[Periodic]:
    return [
        Periodic(
            "ledger-settle-expire", settle_and_expire, timedelta(minutes=5), (services.ledger,)
        ),
        Periodic("ledger-reminders", remind_expiring, timedelta(hours=6), (services, bot)),
        Periodic(
            "ledger-review-rewards", services.loyalty.reviews.credit_owed, timedelta(minutes=10)
        ),
    ]
