"""/workspace: the Mini App's button, and a one-time link for a desktop browser."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.filters import HasAnyRole
from bot.keyboards.workspace import workspace_keyboard
from bot.texts import Texts
from refbot.settings import Settings
from referral.analytics.access import LINK_MINUTES, WorkspaceAccess


async def open_workspace(
    message: Message, texts: Texts, settings: Settings, workspace_access: WorkspaceAccess
) -> None:
    if not settings.public_url:
        await message.answer(texts("workspace.no_public_url"))
        return
    assert message.from_user is not None
    link = await workspace_access.issue_link(message.from_user.id, texts.language)
    await message.answer(
        texts("workspace.link", minutes=LINK_MINUTES),
        reply_markup=workspace_keyboard(texts, settings.public_url, link),
    )


def router() -> Router:
    r = Router(name="workspace")
    r.message.filter(HasAnyRole("partner", "marketer"))
    r.message.register(open_workspace, Command("workspace"))
    return r
