"""The command menu: which commands each role sees, in each language."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.texts import LANGUAGES, Texts, texts_for
from referral.roles import Roles

CONSUMER = (
    "start",
    "offers",
    "wallet",
    "invite",
    "review",
    "surveys",
    "privacy",
    "forget",
    "language",
    "help",
)
PARTNER = ("qr", "stats", "leads", "redeem", "ratings", "workspace")
MARKETER = ("survey", "workspace")


def commands_for(roles: Roles) -> tuple[str, ...]:
    commands = list(CONSUMER)
    if roles.has("partner"):
        commands += PARTNER
    if roles.has("marketer"):
        commands += MARKETER
    return tuple(commands)


def menu(texts: Texts, commands: tuple[str, ...]) -> list[BotCommand]:
    return [BotCommand(command=c, description=texts(f"commands.{c}")) for c in commands]


async def publish_menus(bot: Bot) -> None:
    """The default menu per language; Telegram picks by the user's app language."""
    for language in LANGUAGES:
        await bot.set_my_commands(
            menu(texts_for(language), CONSUMER),
            scope=BotCommandScopeDefault(),
            language_code=language,
        )
    await bot.set_my_commands(menu(texts_for("ru"), CONSUMER), scope=BotCommandScopeDefault())


async def publish_staff_menus(bot: Bot, staff: dict[int, Roles]) -> None:
    """Staff see their extra commands in their own chat's menu (Russian first)."""
    for chat_id, roles in staff.items():
        await bot.set_my_commands(
            menu(texts_for("ru"), commands_for(roles)), scope=BotCommandScopeChat(chat_id=chat_id)
        )
