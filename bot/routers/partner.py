"""Partner admins: their company's QR code and numbers (/stats)."""

from __future__ import annotations

import asyncio

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message

from bot.filters import HasRole
from bot.keyboards.workspace import workspace_keyboard
from bot.messages.stats import stats_chart, stats_text
from bot.texts import Texts
from refbot.settings import Settings
from referral import links
from referral.companies import CompanyService
from referral.members import Identity
from referral.offers.stats import PartnerStats
from referral.qr import render_qr


async def company_qr(
    message: Message,
    bot: Bot,
    identity: Identity,
    texts: Texts,
    companies: CompanyService,
    link_key: bytes,
    bot_username: str,
) -> None:
    for company_id in sorted(identity.roles.partner_company_ids):
        company = await companies.get_by_id(company_id)
        link = links.deep_link(bot_username, links.sign(links.LinkTarget(company.code), link_key))
        await message.answer_photo(
            BufferedInputFile(render_qr(link), filename=f"{company.code}.png"),
            caption=texts("partner.qr_caption", company=company.name, link=link),
        )


async def company_stats(
    message: Message, identity: Identity, texts: Texts, stats: PartnerStats, settings: Settings
) -> None:
    # The workspace goes deeper: an inline web_app button under the numbers.
    more = workspace_keyboard(texts, settings.public_url) if settings.public_url else None
    for company_id in sorted(identity.roles.partner_company_ids):
        report = await stats.of_company(company_id)
        png = await asyncio.to_thread(stats_chart, texts, report)  # matplotlib: off the loop
        await message.answer_photo(BufferedInputFile(png, filename="stats.png"))
        await message.answer(stats_text(texts, report), reply_markup=more)


def router() -> Router:
    """A fresh router, so every Dispatcher (tests, restarts) gets its own."""
    r = Router(name="partner")
    r.message.filter(HasRole("partner"))
    r.message.register(company_qr, Command("qr"))
    r.message.register(company_stats, Command("stats"))
    return r
