"""Fake users and the update payloads Telegram would send on their behalf.

Pure functions: ids (update_id, message_id, date) are handed in by the server,
which owns the counters and the message store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user driving the bot from a private chat."""

    id: int
    first_name: str = "Test"
    language_code: str | None = "ru"
    username: str | None = None
    last_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if (value := getattr(self, key)) is not None:
                user[key] = value
        return user

    def chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            chat["last_name"] = self.last_name
        if self.username is not None:
            chat["username"] = self.username
        return chat


def update_type(update: dict[str, Any]) -> str:
    """The Bot API update type: the one key besides update_id."""
    return next((k for k in update if k != "update_id"), "unknown")


def user_message(user: FakeUser, message_id: int, date: int, **content: Any) -> dict[str, Any]:
    """A message the user sent in their private chat with the bot."""
    return {
        "message_id": message_id,
        "from": user.to_dict(),
        "chat": user.chat(),
        "date": date,
        **content,
    }


def text_content(text: str) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
    return content


def contact_content(user: FakeUser, phone: str, user_id: int | None) -> dict[str, Any]:
    contact: dict[str, Any] = {
        "phone_number": phone,
        "first_name": user.first_name,
        # A request_contact button shares the sender's own contact, with their id.
        "user_id": user.id if user_id is None else user_id,
    }
    return {"contact": contact}


def location_content(latitude: float, longitude: float) -> dict[str, Any]:
    return {"location": {"latitude": latitude, "longitude": longitude}}


def document_content(
    file_id: str,
    unique_id: str,
    filename: str,
    size: int,
    mime_type: str | None,
    caption: str | None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "file_id": file_id,
        "file_unique_id": unique_id,
        "file_name": filename,
        "file_size": size,
    }
    if mime_type:
        document["mime_type"] = mime_type
    content: dict[str, Any] = {"document": document}
    if caption is not None:
        content["caption"] = caption
    return content


def callback_query(
    query_id: str, user: FakeUser, message: dict[str, Any], data: str, bot_id: int
) -> dict[str, Any]:
    return {
        "id": query_id,
        "from": user.to_dict(),
        "message": message,
        # Stable per chat, as Telegram's is; bots use it to group games, not to identify.
        "chat_instance": str((bot_id * 1_000_003 + message["chat"]["id"]) % 10**18),
        "data": data,
    }


def chat_member_updated(
    user: FakeUser, bot_user: dict[str, Any], old: str, new: str, date: int
) -> dict[str, Any]:
    """The bot's membership in the user's private chat changed (blocked or restarted)."""

    def member(status: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"user": bot_user, "status": status}
        if status == "kicked":
            entry["until_date"] = 0
        return entry

    return {
        "chat": user.chat(),
        "from": user.to_dict(),
        "date": date,
        "old_chat_member": member(old),
        "new_chat_member": member(new),
    }


def utf16_len(text: str) -> int:
    """Telegram measures entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2
