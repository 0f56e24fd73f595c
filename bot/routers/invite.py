"""/invite: the member's personal link and QR image, counts, and the phone check."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message, ReplyKeyboardRemove

from bot.filters import IsMember
from bot.keyboards.ledger import phone_keyboard
from bot.texts import Texts
from referral import links
from referral.companies import CompanyService
from referral.ledger.invites import PhoneRefused
from referral.ledger.services import Loyalty
from referral.models import Member
from referral.qr import render_qr


async def invite(
    message: Message,
    member: Member,
    texts: Texts,
    loyalty: Loyalty,
    companies: CompanyService,
    link_key: bytes,
    bot_username: str,
) -> None:
    company = await companies.get_by_id(member.company_id)
    target = links.LinkTarget(company.code, inviter=member.pseudonym)
    link = links.deep_link(bot_username, links.sign(target, link_key))
    stats = await loyalty.invites.stats(member.id)
    await message.answer_photo(
        BufferedInputFile(render_qr(link), filename="invite.png"),
        caption=texts("invite.link", link=link, completed=stats.completed, waiting=stats.waiting),
    )
    rules = await loyalty.rules.get(company.id)
    if rules.require_phone:
        await message.answer(texts("invite.phone_hint"), reply_markup=phone_keyboard(texts))


async def contact(message: Message, member: Member, texts: Texts, loyalty: Loyalty) -> None:
    try:
        await loyalty.invites.check_phone(
            member.id,
            message.from_user.id,
            message.contact.user_id,
            message.contact.phone_number,
            loyalty.ledger.clock(),
        )
    except PhoneRefused:
        await message.answer(texts("invite.phone_not_yours"))
        return
    await message.answer(texts("invite.phone_ok"), reply_markup=ReplyKeyboardRemove())


def router() -> Router:
    """A fresh router, so every Dispatcher (tests, restarts) gets its own."""
    r = Router(name="invite")
    r.message.filter(IsMember())
    r.message.register(invite, Command("invite"))
    r.message.register(contact, F.contact)
    return r
