"""Buttons that open the workspace Mini App: an inline web_app button (Telegram
gives init data to web_app buttons of inline keyboards and the menu button,
never to a reply keyboard's), a browser link, and the chat's menu button."""

from __future__ import annotations

import logging
from contextlib import suppress

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonWebApp, WebAppInfo

from bot.texts import Texts, texts_for
from referral.roles import Roles

log = logging.getLogger(__name__)


def workspace_url(public_url: str) -> str:
    return public_url.rstrip("/") + "/app/"


def open_button(texts: Texts, public_url: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=texts("workspace.open"), web_app=WebAppInfo(url=workspace_url(public_url))
    )


def workspace_keyboard(
    texts: Texts, public_url: str, link_token: str | None = None
) -> InlineKeyboardMarkup:
    rows = [[open_button(texts, public_url)]]
    if link_token:
        rows.append(
            [
                InlineKeyboardButton(
                    text=texts("workspace.open_browser"),
                    url=f"{workspace_url(public_url)}#link={link_token}",
                )
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def publish_menu_buttons(bot: Bot, staff: dict[int, Roles], public_url: str) -> None:
    """Each partner admin's, marketer's and operator's own chat gets the
    workspace as its menu button; consumers keep the command list."""
    if not public_url:
        return
    for chat_id in staff:
        # A staff member who never opened the chat, or blocked the bot, is skipped.
        with suppress(TelegramBadRequest, TelegramForbiddenError):
            await bot.set_chat_menu_button(
                chat_id=chat_id,
                menu_button=MenuButtonWebApp(
                    text=texts_for("ru")("workspace.open"),
                    web_app=WebAppInfo(url=workspace_url(public_url)),
                ),
            )
