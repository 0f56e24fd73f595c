"""Partner admins' /leads: their company's delivered leads, each with Won / Lost
buttons (the outcome the recommender learns from)."""

from __future__ import annotations

from contextlib import suppress
from html import escape

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.filters import HasRole
from bot.keyboards.leads import LOST, WON, LeadAction, lead_keyboard
from bot.messages.leads import lead_line, no_leads_text
from bot.texts import Texts
from referral.companies import CompanyService
from referral.leads.delivery import PartnerLead
from referral.leads.service import LeadNotFound, LeadService, OutcomeConflict
from referral.leads.states import DELIVERED
from referral.members import Identity

SHOWN_LEADS = 10


async def company_leads(
    message: Message,
    identity: Identity,
    texts: Texts,
    leads: LeadService,
    companies: CompanyService,
) -> None:
    quiet: list[str] = []  # companies without leads: named together in one line at the end
    for company_id in sorted(identity.roles.partner_company_ids):
        company = await companies.get_by_id(company_id)
        page = await leads.page(company_id, limit=SHOWN_LEADS)
        if not page.leads:
            quiet.append(company.name)
            continue
        await message.answer(texts("leads.header", company=escape(company.name)))
        for lead in page.leads:
            await message.answer(
                lead_line(texts, lead),
                reply_markup=lead_keyboard(texts, lead.id, open_lead=lead.status == DELIVERED),
            )
    if quiet:
        shown = len(quiet) < len(identity.roles.partner_company_ids)
        await message.answer(no_leads_text(texts, quiet, any_shown=shown))


async def report_outcome(
    query: CallbackQuery,
    callback_data: LeadAction,
    identity: Identity,
    texts: Texts,
    leads: LeadService,
) -> None:
    lead = await _reported(identity, leads, callback_data.lead_id, callback_data.action == WON)
    if lead is None:  # forged, another company's, not delivered, or the other outcome already
        await query.answer(texts("common.stale_button"), show_alert=True)
        return
    await query.answer()
    if query.message is not None:
        with suppress(TelegramBadRequest):
            await query.message.edit_text(
                lead_line(texts, lead), reply_markup=lead_keyboard(texts, lead.id, open_lead=False)
            )


async def _reported(
    identity: Identity, leads: LeadService, lead_id: int, won: bool
) -> PartnerLead | None:
    for company_id in sorted(identity.roles.partner_company_ids):
        try:
            return await leads.report_outcome(company_id, lead_id, won=won)
        except LeadNotFound:
            continue
        except OutcomeConflict:
            return None
    return None


def router() -> Router:
    """A fresh router, so every Dispatcher (tests, restarts) gets its own."""
    r = Router(name="leads")
    r.message.register(company_leads, Command("leads"), HasRole("partner"))
    r.callback_query.register(
        report_outcome, LeadAction.filter(F.action.in_({WON, LOST})), HasRole("partner")
    )
    return r
