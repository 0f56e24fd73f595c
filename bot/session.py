"""The HTTP session every refbot Bot talks to the Bot API through."""

from __future__ import annotations

import inspect
from typing import Any

from aiogram import Bot, methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods.base import Response, TelegramMethod, TelegramType
from aiogram.types import InputFile
from aiohttp import ClientError

from bot.errors import RetryAfterMiddleware

# Strong references to aiogram's parametrised response models, by result type.
_response_models: dict[object, type] = {}


def keep_response_models() -> int:
    """Build ``Response[T]`` once for every Bot API method's result type and keep it.

    aiogram validates each answer as ``Response[method.__returning__]``.
    pydantic caches a parametrised generic model in a WeakValueDictionary, and
    nothing else holds it, so the next garbage collection drops it and the
    next call builds it again: 3 ms for ``Response[Message]``, dozens of times
    a minute under load (about a tenth of a bare echo bot's CPU time). Held
    here, every type is built once (all 41 in about 40 ms) and never again.
    Returns how many are held.
    """
    if not _response_models:
        for _, method in inspect.getmembers(methods, inspect.isclass):
            if issubclass(method, TelegramMethod) and method is not TelegramMethod:
                result_type = method.__returning__
                if result_type not in _response_models:
                    _response_models[result_type] = Response[result_type]  # type: ignore[valid-type]
    return len(_response_models)


class JsonBodySession(AiohttpSession):
    """aiogram's aiohttp session, posting a call without files as one JSON body.

    aiogram posts every call as a form: each keyboard is dumped to a JSON
    string, then percent-encoded character by character (urllib's
    quote_plus), and the server decodes both layers again; for refbot's
    keyboard-heavy calls that was about 8% of the bot's CPU. The Bot API takes
    application/json for any call that uploads no file, with objects as
    objects. Calls that upload files keep aiogram's multipart form. Values go
    through aiogram's own ``prepare_value`` (bot defaults such as parse_mode,
    enums, dates), and are dropped when aiogram drops them (None and "").
    """

    def json_body(
        self, bot: Bot, method: TelegramMethod[Any], files: dict[str, InputFile]
    ) -> dict[str, Any]:
        """The call's parameters as JSON values; files found are put in ``files``."""
        body = {}
        # None fields are dropped either way; most of a message's fields and a
        # button's are None, and leaving them out of the dump spares
        # prepare_value a visit to each: 18.7 -> 14.1 us for an offer message
        # (bench/bench_session_calls.py).
        for key, value in method.model_dump(warnings=False, exclude_none=True).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None and prepared != "":
                body[key] = prepared
        return body

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        files: dict[str, InputFile] = {}
        body = self.json_body(bot, method, files)
        if files:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=self.json_dumps(body),
                headers={"Content-Type": "application/json"},
                timeout=self.timeout if timeout is None else timeout,
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as error:  # mapped as aiogram's own make_request maps them
            raise TelegramNetworkError(method=method, message="Request timeout error") from error
        except ClientError as error:
            message = f"{type(error).__name__}: {error}"
            raise TelegramNetworkError(method=method, message=message) from error
        response = self.check_response(
            bot=bot, method=method, status_code=resp.status, content=raw_result
        )
        return response.result  # type: ignore[return-value]


def build_session(api_url: str) -> AiohttpSession:
    """refbot's Bot API session to ``api_url``: JSON bodies, 429s waited out,
    response models kept."""
    keep_response_models()
    session = JsonBodySession(api=TelegramAPIServer.from_base(api_url))
    session.middleware(RetryAfterMiddleware())
    return session
