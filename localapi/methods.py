"""What the emulated Telegram remembers (chats, messages, files, commands) and the
Bot API methods that read or change it."""

from __future__ import annotations

import copy
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .faults import ApiError
from .markup import MarkupError, parse_html

Params = dict[str, Any]
Files = dict[str, tuple[str, bytes]]
Handler = Callable[["Telegram", Params, Files, int], Any]
METHODS: dict[str, Handler] = {}

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


def method(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        METHODS[name] = fn
        return fn

    return register


def bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


@dataclass
class StoredFile:
    file_id: str
    unique_id: str
    path: str
    filename: str
    data: bytes


class Telegram:
    def __init__(self, bot_username: str, strict_chats: bool = False) -> None:
        self.bot_username = bot_username
        self.bot_name = "Refbot Test"
        self.bot_id = 0  # learnt from the token of the first request
        self.strict_chats = strict_chats
        self.chats: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.callback_chats: dict[str, int] = {}
        self._last_message_id: dict[int, int] = defaultdict(int)

    # -- state shared with the update builders -------------------------------------

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def next_message_id(self, chat_id: int) -> int:
        # One counter per chat for both directions, as in Telegram's private chats.
        self._last_message_id[chat_id] += 1
        return self._last_message_id[chat_id]

    def store_message(self, message: dict[str, Any]) -> dict[str, Any]:
        self.chats.setdefault(message["chat"]["id"], message["chat"])
        self.messages[(message["chat"]["id"], message["message_id"])] = message
        return copy.deepcopy(message)

    def store_file(self, folder: str, filename: str, data: bytes) -> StoredFile:
        n = len(self.files) + 1
        stored = StoredFile(
            f"LOCAL-{folder}-{n}", f"uniq{n}", f"{folder}/file_{n}_{filename}", filename, data
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.path] = stored
        return stored

    def chat(self, params: Params) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise bad_request("chat not found")
        if chat_id not in self.chats:
            if self.strict_chats:
                raise bad_request("chat not found")
            self.chats[chat_id] = {
                "id": chat_id,
                "type": "private",
                "first_name": f"User {chat_id}",
            }
        return self.chats[chat_id]

    # -- building the bot's messages ------------------------------------------------

    def bot_message(self, params: Params, content: dict[str, Any]) -> dict[str, Any]:
        chat = self.chat(params)
        message = {
            "message_id": self.next_message_id(chat["id"]),
            "from": self.bot_user(),
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        if markup := inline_markup(params):
            message["reply_markup"] = markup
        reply_to = (params.get("reply_parameters") or {}).get("message_id") or params.get(
            "reply_to_message_id"
        )
        if (replied := self.messages.get((chat["id"], reply_to))) is not None:
            message["reply_to_message"] = copy.deepcopy(replied)
        return self.store_message(message)

    def own_message(self, params: Params) -> dict[str, Any]:
        key = (params.get("chat_id"), params.get("message_id"))
        message = self.messages.get(key)  # type: ignore[arg-type]
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise bad_request("message can't be edited")
        return message


def inline_markup(params: Params) -> dict[str, Any] | None:
    """Telegram echoes only inline keyboards in Message.reply_markup."""
    markup = params.get("reply_markup")
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            if len(str(button.get("callback_data", "")).encode()) > 64:
                raise bad_request("BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise bad_request("inline keyboard button text must be non-empty")
    return markup


def formatted(params: Params, key: str, limit: int) -> dict[str, Any]:
    """Text or caption with its entities, parsed like Telegram does."""
    raw = params.get(key)
    if raw is None or raw == "":
        return {}
    text, entities = str(raw), params.get(f"{key}_entities" if key == "caption" else "entities")
    if entities is None and str(params.get("parse_mode", "")).upper() == "HTML":
        try:
            text, entities = parse_html(text)
        except MarkupError as e:
            raise bad_request(f"can't parse entities: {e}") from None
    if len(text) > limit:
        raise bad_request(f"message {'caption ' if key == 'caption' else ''}is too long")
    content: dict[str, Any] = {key: text}
    if entities:
        content["entities" if key == "text" else "caption_entities"] = entities
    return content


@method("getMe")
def get_me(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
    return {
        **tg.bot_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


@method("sendMessage")
def send_message(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
    content = formatted(p, "text", 4096)
    if not content:
        raise bad_request("message text is empty")
    return tg.bot_message(p, content)


@method("sendChatAction")
def send_chat_action(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
    tg.chat(p)
    return True


@method("answerCallbackQuery")
def answer_callback_query(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
    if str(p.get("callback_query_id")) not in tg.callback_chats:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    return True


@method("editMessageText")
def edit_message_text(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
    if p.get("inline_message_id"):
        return True
    message = tg.own_message(p)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    content = formatted(p, "text", 4096)
    if not content:
        raise bad_request("message text is empty")
    return _edit(tg, message, content, ("text", "entities"), inline_markup(p))


@method("editMessageCaption")
def edit_message_caption(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
    if p.get("inline_message_id"):
        return True
    message = tg.own_message(p)
    content = formatted(p, "caption", 1024)
    return _edit(tg, message, content, ("caption", "caption_entities"), inline_markup(p))


@method("editMessageReplyMarkup")
def edit_message_reply_markup(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
    if p.get("inline_message_id"):
        return True
    return _edit(tg, tg.own_message(p), {}, (), inline_markup(p))


def _edit(
    tg: Telegram,
    message: dict[str, Any],
    content: dict[str, Any],
    keys: tuple[str, ...],
    markup: dict[str, Any] | None,
) -> dict[str, Any]:
    old = {k: message.get(k) for k in keys}
    new = {k: content.get(k) for k in keys}
    if old == new and message.get("reply_markup") == markup:
        raise bad_request(NOT_MODIFIED)
    for key in keys:
        message.pop(key, None)
    message.update(content)
    message.pop("reply_markup", None)
    if markup:
        message["reply_markup"] = markup
    message["edit_date"] = int(time.time())
    return copy.deepcopy(message)


@method("deleteMessage")
def delete_message(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
    if tg.messages.pop((p.get("chat_id"), p.get("message_id")), None) is None:  # type: ignore[arg-type]
        raise bad_request("message to delete not found")
    return True


@method("getChat")
def get_chat(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
    if p.get("chat_id") not in tg.chats:
        raise bad_request("chat not found")
    gifts = dict.fromkeys(
        (
            "unlimited_gifts",
            "limited_gifts",
            "unique_gifts",
            "premium_subscription",
            "gifts_from_channels",
        ),
        True,
    )
    return {
        **tg.chats[p["chat_id"]],
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": gifts,
    }


for _name in (
    "setMyDescription",
    "setMyShortDescription",
    "setMyName",
    "setChatMenuButton",
    "pinChatMessage",
    "unpinChatMessage",
    "setMessageReaction",
):
    METHODS[_name] = lambda tg, p, f, bot_id: True


# These register more methods (files; bot commands) and build on the helpers
# above, hence imported last.
from . import commands as _commands  # noqa: E402,F401
from . import media as _media  # noqa: E402,F401
