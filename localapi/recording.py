"""The call log: every Bot API request the emulator answered, and ways to query it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Methods that put something into a chat (what Telegram's flood limits count).
SEND_PREFIXES = ("send", "copyMessage", "forwardMessage")
EDIT_PREFIX = "edit"
# Plumbing calls a test rarely cares about; left out of listings unless asked for.
POLLING_METHODS = frozenset({"getUpdates"})


def is_send(method: str) -> bool:
    return method.startswith(SEND_PREFIXES) and method != "sendChatAction"


@dataclass(frozen=True)
class Call:
    """One request the bot made. `at` is `time.monotonic()` when it arrived."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    chat_id: int | None = None
    failed: bool = False
    error_code: int | None = None
    description: str | None = None
    result: Any = None

    def buttons(self) -> list[tuple[str, str]]:
        """(text, callback_data) of every inline button the call sent."""
        markup = self.params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        return [
            (b["text"], b.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]

    def summary(self) -> str:
        shown = {k: v for k, v in self.params.items() if k not in ("reply_markup",)}
        state = f" FAILED {self.error_code} {self.description}" if self.failed else ""
        return f"{self.method}(chat={self.chat_id}) {shown}{state}"[:300]


class CallTimeout(AssertionError, TimeoutError):
    """`wait_for` gave up; the message lists what the emulator did receive."""


Matcher = Callable[[Call], bool] | str | None


class CallLog:
    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._changed = asyncio.Event()

    def record(self, call: Call) -> None:
        self._calls.append(call)
        # Wake every waiter, then hand out a fresh event for the next change.
        self._changed.set()
        self._changed = asyncio.Event()

    def clear(self) -> None:
        self._calls.clear()

    def calls(
        self,
        method: str | None = None,
        chat_id: int | None = None,
        *,
        include_failed: bool = True,
        include_polling: bool = False,
    ) -> list[Call]:
        """Calls in arrival order; getUpdates is left out unless asked for by name or flag."""
        out = []
        for call in self._calls:
            if method is not None and call.method != method:
                continue
            if method is None and not include_polling and call.method in POLLING_METHODS:
                continue
            if chat_id is not None and call.chat_id != chat_id:
                continue
            if call.failed and not include_failed:
                continue
            out.append(call)
        return out

    def sent_to(self, chat_id: int, *, include_failed: bool = False) -> list[Call]:
        """send*/edit* calls aimed at a chat, in order; refused ones only when asked."""
        return [
            c
            for c in self.calls(chat_id=chat_id, include_failed=include_failed)
            if is_send(c.method) or c.method.startswith(EDIT_PREFIX)
        ]

    def delivered(self, chat_id: int | None = None, method: str | None = None) -> list[Call]:
        """Successful send* calls: what actually reached users."""
        return [
            c
            for c in self.calls(method=method, chat_id=chat_id, include_failed=False)
            if is_send(c.method)
        ]

    async def wait_for(
        self,
        match: Matcher = None,
        chat_id: int | None = None,
        count: int = 1,
        timeout: float = 5.0,
        *,
        include_failed: bool = False,
    ) -> list[Call]:
        """Wait until `count` calls match (a method name or a predicate); return all matches.

        Refused calls (failed=True) only count with include_failed=True. On timeout
        raises CallTimeout (an AssertionError and a TimeoutError) listing every call seen.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [c for c in self._candidates(chat_id, include_failed) if _matches(match, c)]
            if len(found) >= count:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise CallTimeout(self._timeout_message(match, chat_id, count, found, timeout))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def _candidates(self, chat_id: int | None, include_failed: bool) -> list[Call]:
        return self.calls(chat_id=chat_id, include_failed=include_failed, include_polling=True)

    def _timeout_message(
        self, match: Matcher, chat_id: int | None, count: int, found: list[Call], timeout: float
    ) -> str:
        what = match if isinstance(match, str) or match is None else getattr(match, "__name__", "?")
        seen = self.calls(include_failed=True)
        lines = [
            f"waited {timeout}s for {count} call(s) matching {what!r}"
            + (f" to chat {chat_id}" if chat_id is not None else "")
            + f", got {len(found)}. The emulator received {len(seen)} call(s):"
        ]
        lines += [f"  {c.summary()}" for c in seen[-30:]] or ["  (none)"]
        return "\n".join(lines)


def _matches(match: Matcher, call: Call) -> bool:
    if match is None:
        return call.method not in POLLING_METHODS
    if isinstance(match, str):
        return call.method == match
    return bool(match(call))
