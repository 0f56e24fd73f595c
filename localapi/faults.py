"""Failure injection and Telegram's flood limits, for testing a bot's resilience."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from .recording import is_send

# Calls that keep the bot connected; `method=None` rules leave them alone so an
# injected failure hits the bot's own work, not its polling loop.
PLUMBING = frozenset(
    {"getUpdates", "getMe", "setWebhook", "deleteWebhook", "getWebhookInfo", "close", "logOut"}
)
# Methods that address a chat and fail when the user blocked the bot.
CHAT_ACTIONS_PREFIXES = ("send", "edit", "copyMessage", "forwardMessage", "deleteMessage")


class ApiError(Exception):
    """A Bot API error answer: {"ok": false, "error_code", "description", "parameters"}."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


@dataclass
class FaultRule:
    method: str | None
    chat_id: int | None
    remaining: int
    error: ApiError

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.method is None and method in PLUMBING:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id


class Faults:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self.blocked: set[int] = set()
        self.per_second_overall: int | None = None
        self.per_chat_per_second: int | None = None
        self._overall: deque[float] = deque()
        self._per_chat: dict[int, deque[float]] = defaultdict(deque)

    def add(self, rule: FaultRule) -> None:
        self.rules.append(rule)

    def check(self, method: str, chat_id: int | None) -> None:
        """Raise the ApiError this call should get, if any; in Telegram's order of checks."""
        for rule in self.rules:
            if rule.remaining > 0 and rule.matches(method, chat_id):
                rule.remaining -= 1
                if rule.remaining == 0:
                    self.rules.remove(rule)
                raise rule.error
        if chat_id in self.blocked and method.startswith(CHAT_ACTIONS_PREFIXES):
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if is_send(method):
            self._check_rate(chat_id)

    def _check_rate(self, chat_id: int | None) -> None:
        if self.per_second_overall is None and self.per_chat_per_second is None:
            return
        now = time.monotonic()
        window = [self._overall]
        if chat_id is not None:
            window.append(self._per_chat[chat_id])
        for stamps in window:
            while stamps and now - stamps[0] >= 1.0:
                stamps.popleft()
        if self.per_second_overall is not None and len(self._overall) >= self.per_second_overall:
            raise too_many_requests(1)
        if (
            chat_id is not None
            and self.per_chat_per_second is not None
            and len(self._per_chat[chat_id]) >= self.per_chat_per_second
        ):
            raise too_many_requests(1)
        # Only sends that Telegram accepts count against the limits.
        for stamps in window:
            stamps.append(now)
