"""What each /_control/ route accepts, checked before anything changes.

The demo exposes the control API on 127.0.0.1, so a malformed body (not JSON,
a missing field, a wrong type, an unknown Bot API method) gets a 400 that says
which part is wrong, in the Bot API's own error shape, and the server's state
(faults, holds, queued updates, recorded calls) stays as it was.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .faults import ApiError
from .updates import FakeUser


class ControlRefused(Exception):
    """A control request that was not carried out: ``reason`` says why (HTTP 400)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def response(self) -> web.Response:
        return web.json_response(ApiError(400, f"Bad Request: {self.reason}").body(), status=400)


class Body(BaseModel):
    # strict: "5" is not a chat id and true is not a count; unknown fields are typos.
    model_config = ConfigDict(extra="forbid", strict=True)


class UserIn(Body):
    id: int
    first_name: str = "Test"
    language_code: str | None = "ru"
    username: str | None = None
    last_name: str | None = None

    def fake(self) -> FakeUser:
        return FakeUser(self.id, self.first_name, self.language_code, self.username, self.last_name)


class TextIn(Body):
    user: UserIn
    text: str = Field(min_length=1, max_length=4096)  # Telegram's bounds for a message


class PressIn(Body):
    user: UserIn
    message_id: int
    data: str = Field(min_length=1)
    strict: bool = True


class TextsIn(Body):
    items: list[TextIn]


class PressesIn(Body):
    items: list[PressIn]


class ChatIn(Body):
    chat_id: int


class Inject429In(Body):
    count: int = Field(1, ge=1)
    retry_after: int = Field(1, ge=1)
    method: str | None = None
    chat_id: int | None = None


class FailNextIn(Body):
    method: str | None
    error_code: int = Field(ge=400, le=599)
    description: str = Field(min_length=1)
    count: int = Field(1, ge=1)
    chat_id: int | None = None
    parameters: dict[str, Any] | None = None


class RateLimitIn(Body):
    per_second_overall: int | None = Field(30, ge=1)
    per_chat_per_second: int | None = Field(1, ge=1)


class HoldIn(Body):
    method: str = "sendMessage"
    seconds: float = Field(30.0, gt=0, le=3600, allow_inf_nan=False)


class Nothing(Body):
    """A route that takes no fields: an empty body or {}."""


class UpdateIn(Body):
    """A raw update: an optional update_id and exactly one update type holding an object."""

    model_config = ConfigDict(extra="allow", strict=True)
    update_id: int | None = Field(None, ge=1)

    def payload(self) -> dict[str, Any]:
        extra = self.model_extra or {}
        if len(extra) != 1 or not isinstance(next(iter(extra.values())), dict):
            raise ControlRefused(
                "an update holds exactly one update type (message, callback_query, ...) "
                "whose value is an object, besides an optional update_id"
            )
        update = dict(extra)
        if self.update_id is not None:
            update["update_id"] = self.update_id
        return update


M = TypeVar("M", bound=BaseModel)


async def read_body(request: web.Request, model: type[M]) -> M:
    """The request's JSON body as ``model``; ControlRefused says what is wrong with it."""
    raw = await request.read()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise ControlRefused("the body is not JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ControlRefused(describe(error)) from None


def describe(error: ValidationError) -> str:
    parts = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        if not where:
            parts.append("the body must be a JSON object")
        else:
            parts.append(f"{where}: {problem['msg']}")
    return "; ".join(parts)
