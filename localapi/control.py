"""A small HTTP control API under /_control/, for a test process driving an emulator
that runs in another process (`python -m localapi`), and a client for it."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

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


def add_control_routes(app: web.Application, api: LocalBotAPI) -> None:
    async def body(request: web.Request) -> dict[str, Any]:
        return await request.json() if request.can_read_body else {}

    def user(data: dict[str, Any]) -> FakeUser:
        return FakeUser(**data["user"])

    async def push(request: web.Request) -> web.Response:
        return web.json_response(api.push_update(await body(request)))

    async def text(request: web.Request) -> web.Response:
        data = await body(request)
        return web.json_response(api.send_text(user(data), data["text"]))

    async def press(request: web.Request) -> web.Response:
        data = await body(request)
        update = api.press_button(
            user(data), int(data["message_id"]), data["data"], strict=data.get("strict", True)
        )
        return web.json_response(update)

    async def calls(request: web.Request) -> web.Response:
        q = request.query
        found = api.calls(
            q.get("method"),
            int(q["chat_id"]) if "chat_id" in q else None,
            include_polling="method" in q,
        )
        return web.json_response([call_to_json(c) for c in found])

    async def clear(request: web.Request) -> web.Response:
        api.clear_calls()
        return web.json_response(True)

    async def block(request: web.Request) -> web.Response:
        data = await body(request)
        (api.unblock if request.match_info["action"] == "unblock" else api.block)(data["chat_id"])
        return web.json_response(True)

    async def inject_429(request: web.Request) -> web.Response:
        api.inject_429(**await body(request))
        return web.json_response(True)

    async def fail_next(request: web.Request) -> web.Response:
        api.fail_next(**await body(request))
        return web.json_response(True)

    async def rate_limit(request: web.Request) -> web.Response:
        api.rate_limit(**await body(request))
        return web.json_response(True)

    async def hold(request: web.Request) -> web.Response:
        api.hold(**await body(request))
        return web.json_response(True)

    async def release(request: web.Request) -> web.Response:
        api.release()
        return web.json_response(True)

    async def held(request: web.Request) -> web.Response:
        return web.json_response(api.held())

    async def texts(request: web.Request) -> web.Response:
        """Many users type at once: one request for a burst (benchmarks)."""
        items = (await body(request))["items"]
        return web.json_response([api.send_text(user(item), item["text"]) for item in items])

    async def presses(request: web.Request) -> web.Response:
        items = (await body(request))["items"]
        return web.json_response(
            [api.press_button(user(i), int(i["message_id"]), i["data"]) for i in items]
        )

    async def delivered(request: web.Request) -> web.Response:
        """How many send* calls succeeded, or calls of one method (an edit, say):
        cheap to poll."""
        method = request.query.get("method")
        if method is None:
            return web.json_response(len(api.delivered()))
        return web.json_response(len(api.calls(method=method, include_failed=False)))

    async def info(request: web.Request) -> web.Response:
        return web.json_response(
            {"url": api.url, "token": api.token, "bot_username": api.telegram.bot_username}
        )

    app.router.add_get("/_control/info", info)
    app.router.add_post("/_control/updates", push)
    app.router.add_post("/_control/text", text)
    app.router.add_post("/_control/press", press)
    app.router.add_post("/_control/texts", texts)
    app.router.add_post("/_control/presses", presses)
    app.router.add_get("/_control/delivered", delivered)
    app.router.add_get("/_control/calls", calls)
    app.router.add_delete("/_control/calls", clear)
    app.router.add_post("/_control/{action:block|unblock}", block)
    app.router.add_post("/_control/inject_429", inject_429)
    app.router.add_post("/_control/fail_next", fail_next)
    app.router.add_post("/_control/rate_limit", rate_limit)
    app.router.add_post("/_control/hold", hold)
    app.router.add_post("/_control/release", release)
    app.router.add_get("/_control/held", held)


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
