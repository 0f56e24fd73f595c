"""/wallet: balances, the last postings in plain words, and spending points on vouchers."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.filters import IsMember
from bot.keyboards.ledger import BuyVoucher, SpendAt, offers_keyboard, spend_keyboard
from bot.messages.rules import rules_in_words
from bot.texts import Texts, roubles
from referral.companies import CompanyService
from referral.ledger.errors import InsufficientPoints, UnknownService
from referral.ledger.services import Loyalty
from referral.ledger.wallet import Wallet
from referral.models import Member


def render(texts: Texts, member: Member, wallet: Wallet) -> str:
    lines = [texts("wallet.title", code=member.pseudonym)]
    if not wallet.balances:
        lines.append(texts("wallet.empty"))
    for b in wallet.balances:
        line = texts(
            "wallet.balance",
            company=escape(b.company),
            points=b.points,
            cashback=roubles(b.cashback_minor),
        )
        if b.points_reserved:
            line += texts("wallet.reserved", points=b.points_reserved)
        if b.points_incoming or b.cashback_incoming:
            line += texts(
                "wallet.incoming", points=b.points_incoming, cashback=roubles(b.cashback_incoming)
            )
        lines.append(line)
    if wallet.history:
        lines.append(texts("wallet.history"))
    for e in wallet.history:
        size = roubles(abs(e.amount)) if e.currency == "cashback" else abs(e.amount)
        sign = "+" if e.amount > 0 else "-" if e.amount < 0 else ""
        lines.append(
            texts(
                "wallet.entry",
                date=e.at.strftime("%d.%m"),
                company=escape(e.company),
                what=texts(f"wallet.kind.{e.kind}"),
                amount=texts(f"wallet.amount.{e.currency}", sign=sign, amount=size),
            )
        )
    return "\n".join(lines)


async def wallet(
    message: Message, member: Member, texts: Texts, loyalty: Loyalty, companies: CompanyService
) -> None:
    found = await loyalty.wallet.wallet(member.id)
    spendable = [(b.company_id, escape(b.company)) for b in found.balances if b.points > 0]
    # The rules of the partner the member joined through, and of any they hold points at.
    names = {b.company_id: b.company for b in found.balances}
    if member.company_id not in names:
        names[member.company_id] = (await companies.get_by_id(member.company_id)).name
    rules = [
        rules_in_words(texts, name, await loyalty.rules.get(cid)) for cid, name in names.items()
    ]
    await message.answer(
        "\n".join([render(texts, member, found), *rules]),
        reply_markup=spend_keyboard(texts, spendable),
    )


async def spend_at(
    query: CallbackQuery, callback_data: SpendAt, member: Member, texts: Texts, loyalty: Loyalty
) -> None:
    offers = await loyalty.vouchers.offers(member.id, callback_data.company_id)
    await query.answer()
    if not offers:
        await query.message.answer(texts("wallet.nothing_to_buy"))
        return
    await query.message.answer(texts("wallet.choose"), reply_markup=offers_keyboard(texts, offers))


async def buy_voucher(
    query: CallbackQuery, callback_data: BuyVoucher, member: Member, texts: Texts, loyalty: Loyalty
) -> None:
    # The key names the message and the service: a replayed press returns the same voucher.
    key = (
        f"{member.id}:{query.message.message_id if query.message else 0}:{callback_data.service_id}"
    )
    try:
        voucher = await loyalty.vouchers.issue(member.id, callback_data.service_id, key)
    except InsufficientPoints:
        await query.answer(texts("wallet.not_enough"), show_alert=True)
        return
    except UnknownService:
        await query.answer(texts("common.stale_button"), show_alert=True)
        return
    offers = await loyalty.vouchers.offers(member.id, voucher.company_id)
    name = next((o.name for o in offers if o.service_id == voucher.service_id), "")
    await query.answer()
    await query.message.answer(
        texts(
            "wallet.voucher",
            code=voucher.code,
            points=voucher.points,
            service=escape(name),
            until=voucher.expires_at.strftime("%d.%m %H:%M UTC"),
        )
    )


def router() -> Router:
    """A fresh router, so every Dispatcher (tests, restarts) gets its own."""
    r = Router(name="wallet")
    r.message.filter(IsMember())
    r.callback_query.filter(IsMember())
    r.message.register(wallet, Command("wallet"))
    r.callback_query.register(spend_at, SpendAt.filter())
    r.callback_query.register(buy_voucher, BuyVoucher.filter())
    return r
