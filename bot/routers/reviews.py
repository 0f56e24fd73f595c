"""/review: rate a recent purchase 1-5, then optionally one message of text;
partner admins see averages per service with /ratings."""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.filters import HasRole, IsMember
from bot.jobs.deposit_notices import tell_partners
from bot.keyboards.ledger import ReviewPick, ReviewRate, reviewable_keyboard, stars_keyboard
from bot.texts import Texts
from referral.ledger.errors import ReviewRefused
from referral.ledger.services import Loyalty
from referral.members import Identity
from referral.models import Member


class ReviewText(StatesGroup):
    waiting = State()


async def review(message: Message, member: Member, texts: Texts, loyalty: Loyalty) -> None:
    items = await loyalty.reviews.reviewable(member.id)
    if not items:
        await message.answer(texts("reviews.nothing"))
        return
    await message.answer(texts("reviews.choose"), reply_markup=reviewable_keyboard(items))


async def pick(query: CallbackQuery, callback_data: ReviewPick, texts: Texts) -> None:
    await query.answer()
    await query.message.answer(
        texts("reviews.rate"), reply_markup=stars_keyboard(callback_data.purchase_id)
    )


async def rate(
    query: CallbackQuery,
    callback_data: ReviewRate,
    member: Member,
    texts: Texts,
    loyalty: Loyalty,
    state: FSMContext,
    bot: Bot,
) -> None:
    try:
        left = await loyalty.reviews.leave(
            member.id, callback_data.purchase_id, callback_data.stars
        )
    except ReviewRefused:
        await query.answer(texts("reviews.refused"), show_alert=True)
        return
    await state.set_state(ReviewText.waiting)
    await state.update_data(review_purchase=callback_data.purchase_id)
    await query.answer()
    key = (
        "reviews.thanks_no_budget"
        if left.shortfall
        else "reviews.thanks_points"
        if left.points
        else "reviews.thanks"
    )
    await query.message.answer(texts(key, stars=callback_data.stars, points=left.points))
    if left.shortfall:
        await tell_partners(
            bot, loyalty.shortfalls, left.shortfall, "review", loyalty.ledger.clock()
        )


async def text(
    message: Message, member: Member, texts: Texts, loyalty: Loyalty, state: FSMContext
) -> None:
    purchase_id = (await state.get_data()).get("review_purchase")
    await state.clear()
    if purchase_id and await loyalty.reviews.add_text(
        member.id, int(purchase_id), message.text or ""
    ):
        await message.answer(texts("reviews.text_saved"))


async def ratings(message: Message, identity: Identity, texts: Texts, loyalty: Loyalty) -> None:
    lines = [texts("reviews.ratings")]
    for company_id in sorted(identity.roles.partner_company_ids):
        for r in await loyalty.reviews.ratings(company_id):
            lines.append(
                texts(
                    "reviews.rating_line",
                    service=escape(r.service),
                    average=f"{r.average_tenths // 10}.{r.average_tenths % 10}",
                    count=r.count,
                )
            )
    await message.answer("\n".join(lines) if len(lines) > 1 else texts("reviews.no_ratings"))


def router() -> Router:
    """A fresh router, so every Dispatcher (tests, restarts) gets its own."""
    r = Router(name="reviews")
    r.message.register(ratings, Command("ratings"), HasRole("partner"))
    r.message.register(review, Command("review"), IsMember())
    r.message.register(
        text, StateFilter(ReviewText.waiting), F.text, ~F.text.startswith("/"), IsMember()
    )
    r.callback_query.register(pick, ReviewPick.filter(), IsMember())
    r.callback_query.register(rate, ReviewRate.filter(), IsMember())
    return r
