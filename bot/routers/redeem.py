"""Partner admins: /redeem CODE posts a member's voucher."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.filters import HasRole
from bot.texts import Texts
from referral.ledger.errors import VoucherRefused
from referral.ledger.services import Loyalty
from referral.members import Identity


async def redeem(
    message: Message, command: CommandObject, identity: Identity, texts: Texts, loyalty: Loyalty
) -> None:
    code = (command.args or "").strip()
    if not code:
        await message.answer(texts("redeem.usage"))
        return
    try:
        done = await loyalty.vouchers.redeem(
            code, f"tg:{identity.telegram_id}", identity.roles.partner_company_ids
        )
    except VoucherRefused as refused:
        await message.answer(texts(f"redeem.{refused.reason}"))
        return
    await message.answer(
        texts(
            "redeem.done",
            code=done.code,
            points=done.points,
            service=escape(done.service),
            member=done.member_code,
        )
    )


def router() -> Router:
    """A fresh router, so every Dispatcher (tests, restarts) gets its own."""
    r = Router(name="redeem")
    r.message.filter(HasRole("partner"))
    r.message.register(redeem, Command("redeem"))
    return r
