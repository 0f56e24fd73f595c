"""refbot reaches into three libraries' internals for speed; each test here
names the override it guards and fails when the internal it relies on changes
shape, so an upgrade breaks a test instead of the bot.

pyproject.toml bounds each of these libraries above by the next release not
yet checked; raising a bound means running these tests and re-reading the
library's code they quote.
"""

from __future__ import annotations

import gc
import hashlib
import inspect
import weakref

import aiosqlite
import pytest
from aiogram import methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.methods.base import Response, TelegramMethod
from aiogram.types import Message
from pydantic import BaseModel
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.orm import SessionEvents

from bot.session import JsonBodySession, keep_response_models

INLINE = "referral/sqlite_inline.py (InlineConnection replaces aiosqlite's _tx and _execute)"
JSON_BODY = "bot/session.py (JsonBodySession.make_request re-implements aiogram's)"
RESPONSES = "bot/session.py (keep_response_models holds pydantic's Response[T] models)"
HOOKS = "referral/ledger/session_hooks.py (process-wide Session hooks of the account cache)"


def _parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def _source(function: object) -> str:
    return inspect.getsource(function)  # type: ignore[arg-type]


# aiosqlite ---------------------------------------------------------------------------------------


def test_aiosqlite_connection_still_has_the_queue_and_funnel_the_inline_connection_replaces():
    assert _parameters(aiosqlite.Connection.__init__)[:3] == [
        "self",
        "connector",
        "iter_chunk_size",
    ], f"{INLINE}: aiosqlite.Connection.__init__ changed its parameters"
    assert _parameters(aiosqlite.Connection._execute) == ["self", "fn", "args", "kwargs"], (
        f"{INLINE}: aiosqlite.Connection._execute(fn, *args, **kwargs) changed shape"
    )
    connection = aiosqlite.Connection(lambda: None, iter_chunk_size=64)  # type: ignore[arg-type,return-value]
    missing = [
        name
        for name in ("_tx", "_running", "_connection", "_thread", "_connect")
        if not hasattr(connection, name)
    ]
    connection._connection = None  # nothing to close: no thread was started
    assert not missing, f"{INLINE}: aiosqlite.Connection no longer has {missing}"
    assert hasattr(connection._tx, "put_nowait"), f"{INLINE}: Connection._tx is no queue"


def test_every_aiosqlite_call_still_goes_through_execute_or_the_queue():
    """The inline connection runs what reaches ``_execute`` or ``_tx.put_nowait``;
    a call that took another way would wait for a worker thread that never starts."""
    allowed = {"__aenter__", "__aexit__", "_execute", "_connect", "interrupt", "_fetch_chunked"}
    bypassing = [
        f"{cls.__name__}.{name}"
        for cls in (aiosqlite.Connection, aiosqlite.Cursor)
        for name, function in inspect.getmembers(cls)
        if (inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function))
        and name not in allowed
        and "_execute(" not in _source(function)
    ]
    assert not bypassing, f"{INLINE}: these aiosqlite calls bypass _execute: {bypassing}"
    queued = {
        "Connection._connect": _source(aiosqlite.Connection._connect),
        "Connection.stop": _source(aiosqlite.Connection.stop),
        "SQLAlchemy's isolation_level setter": _source(
            AsyncAdapt_aiosqlite_connection.isolation_level.fset
        ),
    }
    for where, source in queued.items():
        assert "_tx.put_nowait((future, " in source, (
            f"{INLINE}: {where} no longer hands (future, function) to _tx.put_nowait"
        )
    assert "self._thread.start()" in _source(aiosqlite.Connection.__await__), (
        f"{INLINE}: aiosqlite.Connection.__await__ changed; the override skips its thread start"
    )


# aiogram -----------------------------------------------------------------------------------------

# sha256 of aiogram 3.31's AiohttpSession.make_request source. JsonBodySession
# posts JSON instead of a form but must otherwise do what it does (timeouts,
# error mapping, check_response). When aiogram changes it, read the new body,
# bring JsonBodySession.make_request in line, then record the new digest.
AIOGRAM_MAKE_REQUEST_SHA256 = "970c355d86996eb88187794ceaec00fa86544344169a2a2a276fe3749f5f5636"


def test_aiogram_make_request_is_still_the_one_json_body_session_mirrors():
    digest = hashlib.sha256(_source(AiohttpSession.make_request).encode()).hexdigest()
    assert digest == AIOGRAM_MAKE_REQUEST_SHA256, (
        f"{JSON_BODY}: aiogram's AiohttpSession.make_request changed (sha256 {digest}); "
        "compare it with JsonBodySession.make_request and update the digest"
    )


def test_aiogram_session_methods_json_body_session_calls_keep_their_shape():
    expected = {
        AiohttpSession.make_request: ["self", "bot", "method", "timeout"],
        AiohttpSession.create_session: ["self"],
        BaseSession.check_response: ["self", "bot", "method", "status_code", "content"],
        BaseSession.prepare_value: ["self", "value", "bot", "files", "_dumps_json"],
    }
    for function, parameters in expected.items():
        assert _parameters(function) == parameters, (
            f"{JSON_BODY}: aiogram's {function.__qualname__} now takes "
            f"{_parameters(function)}, not {parameters}"
        )
    session = JsonBodySession()
    for attribute in ("api", "json_dumps", "timeout"):
        assert hasattr(session, attribute), f"{JSON_BODY}: aiogram's session lost .{attribute}"
    assert _parameters(session.api.api_url) == ["token", "method"], (
        f"{JSON_BODY}: TelegramAPIServer.api_url(token, method) changed"
    )


# pydantic ----------------------------------------------------------------------------------------


def test_aiogram_still_validates_answers_as_response_of_the_returning_type():
    assert "Response[method.__returning__]" in _source(BaseSession.check_response), (
        f"{RESPONSES}: aiogram no longer builds Response[method.__returning__]"
    )
    without = [
        name
        for name, method in inspect.getmembers(methods, inspect.isclass)
        if issubclass(method, TelegramMethod)
        and method is not TelegramMethod
        and not hasattr(method, "__returning__")
    ]
    assert not without, f"{RESPONSES}: methods without __returning__: {without}"


def test_pydantic_still_drops_unheld_parametrised_models_and_hands_back_held_ones():
    class Probe(BaseModel):
        value: int

    built = weakref.ref(Response[Probe])  # type: ignore[valid-type]
    gc.collect()
    assert built() is None, (
        f"{RESPONSES}: pydantic now keeps parametrised generic models itself; "
        "the override buys nothing: drop it"
    )
    assert keep_response_models() > 30
    held = Response[Message]
    gc.collect()
    assert Response[Message] is held, (
        f"{RESPONSES}: pydantic builds Response[Message] anew although it is held"
    )


# SQLAlchemy --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "parameters"),
    [
        ("after_commit", ["self", "session"]),
        ("after_soft_rollback", ["self", "session", "previous_transaction"]),
    ],
)
def test_sqlalchemy_session_events_of_the_account_cache_keep_their_shape(event, parameters):
    assert _parameters(getattr(SessionEvents, event)) == parameters, (
        f"{HOOKS}: SessionEvents.{event} changed its arguments"
    )
