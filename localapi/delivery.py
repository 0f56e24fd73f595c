"""Getting updates to the bot: a getUpdates queue with real long polling, or a webhook."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import MultipartReader

from .faults import ApiError
from .updates import update_type
from .wire import Files, attach, read_multipart

# What Telegram sends when allowed_updates is empty or was never given.
SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass
class Pending:
    update: dict[str, Any]
    delivered: bool = False


class UpdateQueue:
    """Updates waiting for getUpdates, with Telegram's offset confirmation."""

    def __init__(self) -> None:
        self.pending: list[Pending] = []
        self.allowed_updates: list[str] = []
        self._arrived = asyncio.Event()
        self._generation = 0
        self.closed = False

    def put(self, update: dict[str, Any]) -> None:
        self.pending.append(Pending(update))
        self._wake()

    def clear(self) -> None:
        self.pending.clear()

    def close(self) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        self._arrived.set()
        self._arrived = asyncio.Event()

    def confirm(self, offset: int) -> None:
        """Forget updates the bot has seen and confirmed with update_id < offset.

        Confirmation goes by queue position, so a re-pushed duplicate of an old
        update_id is still delivered once before it counts as confirmed.
        """
        if offset < 0:
            del self.pending[:offset]
            return
        last = max(
            (
                i
                for i, p in enumerate(self.pending)
                if p.delivered and p.update["update_id"] < offset
            ),
            default=-1,
        )
        del self.pending[: last + 1]

    def allowed(self, update: dict[str, Any]) -> bool:
        kind = update_type(update)
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in NOT_BY_DEFAULT

    def take(self, limit: int) -> list[dict[str, Any]]:
        # Telegram never generates updates of types the bot did not ask for.
        self.pending = [p for p in self.pending if self.allowed(p.update)]
        batch = self.pending[:limit]
        for entry in batch:
            entry.delivered = True
        return [entry.update for entry in batch]

    async def get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if isinstance(params.get("allowed_updates"), list):
            self.allowed_updates = params["allowed_updates"]
        if isinstance(params.get("offset"), int) and params["offset"] != 0:
            self.confirm(params["offset"])
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        self._generation += 1
        generation = self._generation
        self._wake()  # an older poll still waiting is now superseded
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = [] if self.closed else self.take(limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self.closed:
                return batch
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)


@dataclass(frozen=True)
class WebhookResponse:
    update_id: int
    status: int | None  # None when the bot could not be reached
    body: bytes
    at: float
    error: str | None = None


Executor = Callable[[dict[str, Any], Files], Awaitable[None]]


class Webhook:
    """Posts updates to the bot's webhook one at a time, in order, like Telegram."""

    def __init__(self, execute: Executor) -> None:
        self.url = ""
        self.secret_token: str | None = None
        self.allowed_updates: list[str] = []
        self.responses: list[WebhookResponse] = []
        self.last_error: tuple[int, str] | None = None
        self._execute = execute
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        self._session = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._run(), name="localapi-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def put(self, update: dict[str, Any]) -> None:
        self._queue.put_nowait(update)

    @property
    def pending_count(self) -> int:
        return self._queue.qsize()

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until every queued update has been posted and answered."""
        await asyncio.wait_for(self._queue.join(), timeout)

    async def set(self, params: dict[str, Any], queue: UpdateQueue) -> Any:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if url and not url.startswith(("http://", "https://")):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if secret is not None and not SECRET.match(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if isinstance(params.get("allowed_updates"), list):
            self.allowed_updates = params["allowed_updates"]
            queue.allowed_updates = params["allowed_updates"]
        self.url = url
        self.secret_token = str(secret) if secret is not None else None
        if params.get("drop_pending_updates"):
            queue.clear()
        if url:
            # Updates queued while polling go out through the new webhook.
            for update in queue.take(len(queue.pending)):
                self.put(update)
            queue.clear()
        return True

    async def delete(self, params: dict[str, Any], queue: UpdateQueue) -> Any:
        self.url = ""
        self.secret_token = None
        if params.get("drop_pending_updates"):
            queue.clear()
        return True

    async def info(self, queue: UpdateQueue) -> Any:
        info: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": self.pending_count if self.url else len(queue.pending),
        }
        if self.allowed_updates:
            info["allowed_updates"] = self.allowed_updates
        if self.last_error is not None:
            info["last_error_date"], info["last_error_message"] = self.last_error
        return info

    async def _run(self) -> None:
        while True:
            update = await self._queue.get()
            try:
                await self._post(update)
            finally:
                self._queue.task_done()

    async def _post(self, update: dict[str, Any]) -> None:
        assert self._session is not None
        headers = (
            {"X-Telegram-Bot-Api-Secret-Token": self.secret_token} if self.secret_token else {}
        )
        at = time.monotonic()
        try:
            async with self._session.post(
                self.url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=60)
            ) as resp:
                reply = await self._reply(resp)
                body = reply if isinstance(reply, bytes) else b""
                self.responses.append(WebhookResponse(update["update_id"], resp.status, body, at))
                if resp.status >= 300:
                    self.last_error = (
                        int(time.time()),
                        f"Wrong response from the webhook: {resp.status} {resp.reason}",
                    )
                if isinstance(reply, tuple) and "method" in reply[0]:
                    await self._execute(*reply)
        except (aiohttp.ClientError, TimeoutError) as e:
            self.responses.append(WebhookResponse(update["update_id"], None, b"", at, repr(e)))
            self.last_error = (int(time.time()), f"Connection failed: {e!r}")

    @staticmethod
    async def _reply(resp: aiohttp.ClientResponse) -> bytes | tuple[dict[str, Any], Files]:
        """A bot may answer the webhook with a method call (multipart or JSON body)."""
        if resp.content_type == "multipart/form-data":
            params, uploads = await read_multipart(MultipartReader(resp.headers, resp.content))
            return attach(params, uploads)
        body = await resp.read()
        if resp.content_type == "application/json":
            try:
                data = json.loads(body)
            except ValueError:
                return body
            if isinstance(data, dict) and "method" in data:
                return attach(data, {})
        return body
