"""A small HTTP control API under /_control/, for a test process driving an emulator
that runs in another process (`python -m localapi`), and a client for it."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from .control_bodies import (
    ChatIn,
    ControlRefused,
    FailNextIn,
    HoldIn,
    Inject429In,
    Nothing,
    PressesIn,
    PressIn,
    RateLimitIn,
    TextIn,
    TextsIn,
    UpdateIn,
    read_body,
)
from .recording import Call
from .updates import FakeUser

if TYPE_CHECKING:
    from .server import LocalBotAPI


def call_to_json(call: Call) -> dict[str, Any]:
    files = {k: {"filename": name, "size": len(data)} for k, (name, data) in call.files.items()}
    return {
        "method": call.method,
        "params": call.params,
        "files": files,
        "at": call.at,
        "chat_id": call.chat_id,
        "failed": call.failed,
        "error_code": call.error_code,
        "description": call.description,
        "result": call.result,
    }


Handler = Callable[[web.Request], Awaitable[web.Response]]


def refusing(handler: Handler) -> Handler:
    """A ControlRefused raised before the route changed anything becomes its 400."""

    @functools.wraps(handler)
    async def route(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except ControlRefused as refused:
            return refused.response()

    return route


def add_control_routes(app: web.Application, api: LocalBotAPI) -> None:
    def known(name: str) -> str:
        canonical = api.method_named(name)
        if canonical is None:
            raise ControlRefused(f"method: {name!r} is not a Bot API method")
        return canonical

    def method(name: str | None) -> str | None:
        return None if name is None else known(name)

    def checked_press(item: PressIn) -> PressIn:
        if item.strict:
            try:
                api.check_press(item.user.fake(), item.message_id, item.data)
            except ValueError as error:
                raise ControlRefused(str(error)) from None
        return item

    def press_one(item: PressIn) -> dict[str, Any]:
        return api.press_button(item.user.fake(), item.message_id, item.data, strict=False)

    def chat_query(request: web.Request) -> int | None:
        raw = request.query.get("chat_id")
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            raise ControlRefused(f"chat_id: {raw!r} is not an integer") from None

    async def push(request: web.Request) -> web.Response:
        update = (await read_body(request, UpdateIn)).payload()
        return web.json_response(api.push_update(update))

    async def text(request: web.Request) -> web.Response:
        item = await read_body(request, TextIn)
        return web.json_response(api.send_text(item.user.fake(), item.text))

    async def press(request: web.Request) -> web.Response:
        item = checked_press(await read_body(request, PressIn))
        return web.json_response(press_one(item))

    async def calls(request: web.Request) -> web.Response:
        name = method(request.query.get("method"))
        found = api.calls(name, chat_query(request), include_polling=name is not None)
        return web.json_response([call_to_json(c) for c in found])

    async def clear(request: web.Request) -> web.Response:
        api.clear_calls()
        return web.json_response(True)

    async def block(request: web.Request) -> web.Response:
        chat_id = (await read_body(request, ChatIn)).chat_id
        (api.unblock if request.match_info["action"] == "unblock" else api.block)(chat_id)
        return web.json_response(True)

    async def inject_429(request: web.Request) -> web.Response:
        rule = await read_body(request, Inject429In)
        api.inject_429(rule.count, rule.retry_after, method(rule.method), rule.chat_id)
        return web.json_response(True)

    async def fail_next(request: web.Request) -> web.Response:
        rule = await read_body(request, FailNextIn)
        api.fail_next(
            method(rule.method),
            rule.error_code,
            rule.description,
            rule.count,
            chat_id=rule.chat_id,
            parameters=rule.parameters,
        )
        return web.json_response(True)

    async def rate_limit(request: web.Request) -> web.Response:
        limits = await read_body(request, RateLimitIn)
        api.rate_limit(limits.per_second_overall, limits.per_chat_per_second)
        return web.json_response(True)

    async def hold(request: web.Request) -> web.Response:
        held = await read_body(request, HoldIn)
        api.hold(known(held.method), held.seconds)
        return web.json_response(True)

    async def release(request: web.Request) -> web.Response:
        await read_body(request, Nothing)
        api.release()
        return web.json_response(True)

    async def held(request: web.Request) -> web.Response:
        return web.json_response(api.held())

    async def texts(request: web.Request) -> web.Response:
        """Many users type at once: one request for a burst (benchmarks); all or none."""
        items = (await read_body(request, TextsIn)).items
        return web.json_response([api.send_text(i.user.fake(), i.text) for i in items])

    async def presses(request: web.Request) -> web.Response:
        # Every press is checked before the first is delivered: all or none.
        items = [checked_press(i) for i in (await read_body(request, PressesIn)).items]
        return web.json_response([press_one(i) for i in items])

    async def delivered(request: web.Request) -> web.Response:
        """How many send* calls succeeded, or calls of one method (an edit, say):
        cheap to poll."""
        name = method(request.query.get("method"))
        if name is None:
            return web.json_response(len(api.delivered()))
        return web.json_response(len(api.calls(method=name, include_failed=False)))

    async def info(request: web.Request) -> web.Response:
        return web.json_response(
            {"url": api.url, "token": api.token, "bot_username": api.telegram.bot_username}
        )

    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/_control/info", info),
        ("POST", "/_control/updates", push),
        ("POST", "/_control/text", text),
        ("POST", "/_control/press", press),
        ("POST", "/_control/texts", texts),
        ("POST", "/_control/presses", presses),
        ("GET", "/_control/delivered", delivered),
        ("GET", "/_control/calls", calls),
        ("DELETE", "/_control/calls", clear),
        ("POST", "/_control/{action:block|unblock}", block),
        ("POST", "/_control/inject_429", inject_429),
        ("POST", "/_control/fail_next", fail_next),
        ("POST", "/_control/rate_limit", rate_limit),
        ("POST", "/_control/hold", hold),
        ("POST", "/_control/release", release),
        ("GET", "/_control/held", held),
    ]
    for verb, path, handler in routes:
        app.router.add_route(verb, path, refusing(handler))


class ControlClient:
    """Drives a LocalBotAPI running in another process through /_control/."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/") + "/_control"
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> ControlClient:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def _request(self, verb: str, path: str, **kw: Any) -> Any:
        assert self._session is not None, "use `async with ControlClient(url) as control:`"
        async with self._session.request(verb, self.url + path, **kw) as resp:
            if resp.status == 400:
                raise ControlRefused((await resp.json())["description"])
            resp.raise_for_status()
            return await resp.json()

    async def info(self) -> dict[str, Any]:
        return await self._request("GET", "/info")

    async def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        return await self._request("POST", "/updates", json=update)

    async def send_text(self, user: FakeUser, text: str) -> dict[str, Any]:
        return await self._request("POST", "/text", json={"user": _user(user), "text": text})

    async def press_button(self, user: FakeUser, message_id: int, data: str) -> dict[str, Any]:
        payload = {"user": _user(user), "message_id": message_id, "data": data}
        return await self._request("POST", "/press", json=payload)

    async def calls(self, method: str | None = None, chat_id: int | None = None) -> list[dict]:
        query = {k: str(v) for k, v in (("method", method), ("chat_id", chat_id)) if v is not None}
        return await self._request("GET", "/calls", params=query)

    async def clear_calls(self) -> None:
        await self._request("DELETE", "/calls")

    async def block(self, chat_id: int) -> None:
        await self._request("POST", "/block", json={"chat_id": chat_id})

    async def unblock(self, chat_id: int) -> None:
        await self._request("POST", "/unblock", json={"chat_id": chat_id})

    async def inject_429(self, **rule: Any) -> None:
        await self._request("POST", "/inject_429", json=rule)

    async def hold(self, method: str = "sendMessage", seconds: float = 30.0) -> None:
        """Carry out and record `method` calls, but hold their answers (see LocalBotAPI.hold)."""
        await self._request("POST", "/hold", json={"method": method, "seconds": seconds})

    async def release(self) -> None:
        await self._request("POST", "/release")

    async def held(self) -> list[int | None]:
        """Chats of the calls whose answers are held now."""
        return await self._request("GET", "/held")

    async def wait_for(
        self, method: str, chat_id: int | None = None, count: int = 1, timeout: float = 5.0
    ) -> list[dict]:
        """Poll until `count` successful calls of `method` were made; AssertionError if not."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in await self.calls(method, chat_id) if not c["failed"]]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [f"{c['method']}({c['chat_id']})" for c in await self.calls()]
                raise AssertionError(
                    f"waited {timeout}s for {count} {method}, got {len(found)}; received: {seen}"
                )
            await asyncio.sleep(0.05)


def _user(user: FakeUser) -> dict[str, Any]:
    return {
        k: getattr(user, k) for k in ("id", "first_name", "language_code", "username", "last_name")
    }
