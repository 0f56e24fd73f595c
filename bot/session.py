"""The HTTP session every refbot Bot talks to the Bot API through."""

from __future__ import annotations

import inspect

from aiogram import methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods.base import Response, TelegramMethod

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


def build_session(api_url: str) -> AiohttpSession:
    """aiogram's aiohttp session to ``api_url``, waiting out 429s, its response models kept."""
    keep_response_models()
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    session.middleware(RetryAfterMiddleware())
    return session
