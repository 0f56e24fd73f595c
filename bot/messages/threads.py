"""How relayed messages read: the member sees the partner's name, the partner
sees the member's code and the lead; the text itself is escaped (HTML mode)."""

from __future__ import annotations

from html import escape

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError

from bot.keyboards.leads import lead_keyboard
from bot.keyboards.threads import member_keyboard
from bot.texts import texts_for
from referral.leads.threads import ThreadService, ToMember, ToPartner


async def relay_to_member(bot: Bot, threads: ThreadService, message: ToMember) -> bool:
    """Send one partner message to its member, then mark it sent; False if not sent."""
    texts = texts_for(message.language or "ru")
    try:
        await bot.send_message(
            message.telegram_id,
            texts("leads.from_partner", company=escape(message.company), text=escape(message.text)),
            reply_markup=member_keyboard(texts, message.thread_id),
        )
    except TelegramForbiddenError:
        await threads.sent(message.message_id)  # blocked the bot: nothing to retry
        return False
    except TelegramAPIError:
        return False  # the relay job tries again
    await threads.sent(message.message_id)
    return True


async def relay_to_partner(bot: Bot, reply: ToPartner, language: str | None) -> None:
    if reply.partner_chat_id is None:
        return  # written over the API: the webhook carries the reply
    texts = texts_for(language or "ru")
    await bot.send_message(
        reply.partner_chat_id,
        texts(
            "leads.from_member", id=reply.lead_id, code=reply.member_code, text=escape(reply.text)
        ),
        reply_markup=lead_keyboard(texts, reply.lead_id, open_lead=False),
    )


async def relay_unsent(bot: Bot, threads: ThreadService) -> int:
    """The job: partners' messages queued over the API (or left by a crash)."""
    sent = 0
    for message in await threads.unsent():
        sent += await relay_to_member(bot, threads, message)
    return sent
