"""Blocking and unblocking the bot (my_chat_member in a private chat)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated

from referral.members import MemberService

router = Router(name="reachability")
router.my_chat_member.filter(F.chat.type == "private")


@router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=KICKED))
async def blocked(event: ChatMemberUpdated, members: MemberService) -> None:
    await members.set_reachable(event.from_user.id, False)


@router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=MEMBER))
async def unblocked(event: ChatMemberUpdated, members: MemberService) -> None:
    await members.set_reachable(event.from_user.id, True)
