"""Tell a company's partner admins that its deposit refused a reward (at most hourly)."""

from __future__ import annotations

import logging
from datetime import datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.texts import Texts, roubles, texts_for
from referral.ledger.shortfalls import Shortfall, ShortfallNotices

log = logging.getLogger(__name__)


def amount(texts: Texts, currency: str, size: int) -> str:
    """A shortfall's amount in words: points as they are, cashback (kopecks) in roubles."""
    return texts(
        f"deposit.amount.{currency}", amount=roubles(size) if currency == "cashback" else size
    )


async def tell_partners(
    bot: Bot, notices: ShortfallNotices, shortfall: Shortfall, feature: str, now: datetime
) -> int:
    """Message each partner admin of the company in their language; how many got it."""
    told = 0
    for admin in await notices.recipients_due(shortfall.company_id, now):
        texts = texts_for(admin.language or "ru")
        try:
            await bot.send_message(
                admin.telegram_id,
                texts(
                    "deposit.short",
                    company=shortfall.company_name,
                    code=shortfall.company_code,
                    feature=texts(f"deposit.feature_{feature}"),
                    needed=amount(texts, shortfall.currency, shortfall.needed),
                    available=amount(texts, shortfall.currency, shortfall.available),
                ),
            )
            told += 1
        except TelegramAPIError as error:  # the member's flow never depends on this
            log.warning(
                "deposit notice for company %s not delivered: %s", shortfall.company_code, error
            )
    return told
