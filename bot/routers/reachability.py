"""Blocking and unblocking the bot (my_chat_member in a private chat)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated

from referral.members import MemberService


async def blocked(event: ChatMemberUpdated, members: MemberService) -> None:
    await members.set_reachable(event.from_user.id, False)


async def unblocked(event: ChatMemberUpdated, members: MemberService) -> None:
    await members.set_reachable(event.from_user.id, True)


def router() -> Router:
    """A fresh router, so every Dispatcher (tests, restarts) gets its own."""
    r = Router(name="reachability")
    r.my_chat_member.filter(F.chat.type == "private")
    r.my_chat_member.register(blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED))
    r.my_chat_member.register(unblocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER))
    return r
