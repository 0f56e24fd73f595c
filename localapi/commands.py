"""Bot commands menus: setMyCommands and friends, kept per scope and language."""

from __future__ import annotations

import json
import re
from typing import Any

from .methods import Files, Params, Telegram, bad_request, method

COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


def commands_key(p: Params) -> tuple[str, str]:
    scope = p.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(p.get("language_code") or "")


def commands_for(tg: Telegram, language_code: str, scope: dict[str, Any] | None) -> list[dict]:
    return tg.commands.get(commands_key({"scope": scope, "language_code": language_code}), [])


@method("setMyCommands")
def set_my_commands(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
    commands = p.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be a list of at most 100 BotCommand")
    for command in commands:
        if not COMMAND.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("command description must be 1-256 characters")
    tg.commands[commands_key(p)] = commands
    return True


@method("getMyCommands")
def get_my_commands(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
    return tg.commands.get(commands_key(p), [])


@method("deleteMyCommands")
def delete_my_commands(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
    tg.commands.pop(commands_key(p), None)
    return True
