"""Driving the bot as its users: each action builds the update Telegram would send."""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING, Any

from . import updates as build
from .updates import FakeUser

if TYPE_CHECKING:
    from .methods import Telegram
    from .recording import Call


class UserActions:
    """Mixed into LocalBotAPI; every action returns the update dict it delivered."""

    telegram: Telegram

    def __init__(self) -> None:
        self._last_update_id = 0
        self._last_query_id = 0

    def deliver(self, update: dict[str, Any]) -> None:
        raise NotImplementedError

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Deliver a raw update; an update_id is assigned when missing, kept when given,
        so pushing the same dict twice delivers a duplicate, as Telegram sometimes does."""
        if "update_id" not in update:
            self._last_update_id += 1
            update["update_id"] = self._last_update_id
        self._last_update_id = max(self._last_update_id, update["update_id"])
        self.deliver(copy.deepcopy(update))
        return update

    def add_user(self, user: FakeUser) -> None:
        """Make the user's private chat known (as after they opened the bot once)."""
        self.telegram.chats[user.id] = user.chat()

    def _user_message(self, user: FakeUser, **content: Any) -> dict[str, Any]:
        self.add_user(user)
        message_id = self.telegram.next_message_id(user.id)
        message = build.user_message(user, message_id, int(time.time()), **content)
        return self.push_update({"message": self.telegram.store_message(message)})

    def send_text(self, user: FakeUser, text: str) -> dict[str, Any]:
        """The user types text; a leading "/command" gets its bot_command entity."""
        return self._user_message(user, **build.text_content(text))

    def share_contact(
        self, user: FakeUser, phone: str, user_id: int | None = None
    ) -> dict[str, Any]:
        """user_id=None shares the user's own contact, as a request_contact button does."""
        return self._user_message(user, **build.contact_content(user, phone, user_id))

    def share_location(self, user: FakeUser, latitude: float, longitude: float) -> dict[str, Any]:
        return self._user_message(user, **build.location_content(latitude, longitude))

    def send_document(
        self,
        user: FakeUser,
        filename: str,
        data: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """The user uploads a file; the bot can fetch it with getFile and /file/bot<token>/."""
        stored = self.telegram.store_file("documents", filename, data)
        content = build.document_content(
            stored.file_id, stored.unique_id, filename, len(data), mime_type, caption
        )
        return self._user_message(user, **content)

    def press_button(
        self,
        user: FakeUser,
        message: dict[str, Any] | Call | int | Any,
        callback_data: str,
        *,
        strict: bool = True,
    ) -> dict[str, Any]:
        """The user presses an inline button of a bot message (a message dict, the Call
        that sent it, an aiogram Message, or a message_id in the user's chat).

        strict=True insists the message still exists and has a button with this
        callback_data; strict=False lets a test forge presses a client could not make.
        """
        chat_id, message_id = _message_key(user, message)
        if strict:
            self.check_press(user, message, callback_data)
        current = self.telegram.messages.get((chat_id, message_id))
        if current is None:
            current = {"message_id": message_id, "date": 0, "chat": user.chat()}
        self._last_query_id += 1
        query_id = f"{self.telegram.bot_id}{self._last_query_id:08d}"
        self.telegram.callback_chats[query_id] = chat_id
        query = build.callback_query(
            query_id, user, copy.deepcopy(current), callback_data, self.telegram.bot_id
        )
        return self.push_update({"callback_query": query})

    def check_press(self, user: FakeUser, message: Any, callback_data: str) -> None:
        """ValueError unless the message exists and has a button with this callback_data."""
        chat_id, message_id = _message_key(user, message)
        current = self.telegram.messages.get((chat_id, message_id))
        if current is None:
            raise ValueError(f"no message {message_id} in chat {chat_id} to press a button on")
        datas = [
            b.get("callback_data")
            for row in current.get("reply_markup", {}).get("inline_keyboard", [])
            for b in row
        ]
        if callback_data not in datas:
            raise ValueError(f"message {message_id} has no button {callback_data!r}: {datas}")

    def my_chat_member(self, user: FakeUser, status: str = "kicked") -> dict[str, Any]:
        """The user blocks ("kicked") or restarts ("member") the bot; sends follow suit."""
        if status not in ("kicked", "member"):
            raise ValueError("status is 'kicked' (blocked the bot) or 'member' (unblocked)")
        old = "member" if status == "kicked" else "kicked"
        if status == "kicked":
            self.block(user.id)
        else:
            self.unblock(user.id)
        self.add_user(user)
        event = build.chat_member_updated(
            user, self.telegram.bot_user(), old, status, int(time.time())
        )
        return self.push_update({"my_chat_member": event})

    def block(self, chat_id: int) -> None:
        raise NotImplementedError

    def unblock(self, chat_id: int) -> None:
        raise NotImplementedError


def _message_key(user: FakeUser, message: Any) -> tuple[int, int]:
    if isinstance(message, int):
        return user.id, message
    result = getattr(message, "result", None)
    if isinstance(result, dict):  # a recorded Call
        message = result
    if isinstance(message, dict):
        return message["chat"]["id"], message["message_id"]
    # An aiogram Message (or anything shaped like one).
    return message.chat.id, message.message_id
