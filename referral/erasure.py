"""What /forget erases besides the member row: every other place a feature
keeps a person's Telegram id (which is also their private chat's id).

One function, run inside MemberService.forget's transaction, so a person is
erased everywhere or nowhere. A feature that stores a Telegram id adds its
statement here, and its step to the erasure test's world (tests/forget_world.py).
"""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from referral.analytics.models import WorkspaceToken
from referral.leads.models import LeadThread
from referral.models import RoleGrant
from referral.surveys.models import Survey


async def erase_telegram_id(session: AsyncSession, telegram_id: int) -> int:
    """Erase ``telegram_id`` from every table but members; how many rows changed."""
    statements = (
        delete(RoleGrant).where(RoleGrant.telegram_id == telegram_id),
        # A marketer's progress message lives in their private chat: forget which.
        update(Survey)
        .where(Survey.progress_chat_id == telegram_id)
        .values(progress_chat_id=None, progress_message_id=None, progress_language=None),
        delete(WorkspaceToken).where(WorkspaceToken.telegram_id == telegram_id),
        # A partner admin who wrote to members: their replies no longer reach this chat.
        update(LeadThread)
        .where(LeadThread.partner_chat_id == telegram_id)
        .values(partner_chat_id=None),
    )
    changed = 0
    for statement in statements:
        changed += (await session.execute(statement)).rowcount or 0
    return changed
