"""The floor a bench compares refbot with: a bare aiogram bot making refbot's
Bot API calls for the consent flow (and, asked, /offers) with the same texts
and keyboards, through refbot's session, and nothing else: no database,
links, middlewares or routers. Shared by bench_updates.py and bench_offers.py."""

from __future__ import annotations

from aiogram import Bot, Dispatcher, F
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from bot.keyboards.offers import offer_keyboard
from bot.keyboards.onboarding import ConsentAction, consent_keyboard, profile_keyboard
from bot.session import build_session
from bot.texts import texts_for
from referral.consent import CONSENT_VERSION
from referral.members import PROFILE_FIELDS

OFFER = "<b>Service 1</b> — Company 1\nЦена: 100 ₽\nПочему: популярно среди участников."
OFFERS_SHOWN = 3  # as many as refbot shows, each a message with its own keyboard


def floor_bot(token: str, api_url: str) -> Bot:
    return Bot(
        token,
        session=build_session(api_url),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def floor_dispatcher(offers: bool = False) -> Dispatcher:
    """/start with a payload gets the consent; Accept answers the press and
    turns the consent into the first profile question; with ``offers``,
    /offers gets a header and three offers."""
    texts = texts_for("ru")
    dp = Dispatcher()

    @dp.message(CommandStart(deep_link=True))
    async def start(message: Message, command: CommandObject) -> None:
        await message.answer(
            texts("onboarding.consent", version=CONSENT_VERSION),
            reply_markup=consent_keyboard(texts, command.args or ""),
        )

    @dp.callback_query(ConsentAction.filter())
    async def accept(query: CallbackQuery) -> None:
        await query.answer()
        first = PROFILE_FIELDS[0]
        await query.message.edit_text(  # type: ignore[union-attr]
            f"{texts('onboarding.accepted')}\n\n{texts(f'profile.ask.{first}')}",
            reply_markup=profile_keyboard(texts, first),
        )

    if offers:

        @dp.message(Command("offers"), F.chat)
        async def show_offers(message: Message) -> None:
            await message.answer(texts("offers.header") + "\n" + texts("offers.share_location"))
            for offer_id in range(OFFERS_SHOWN):
                await message.answer(OFFER, reply_markup=offer_keyboard(texts, offer_id))

    return dp
