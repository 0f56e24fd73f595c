"""LocalBotAPI: a Telegram Bot API server on loopback, for end-to-end tests and demos.

The bot talks to it through `TelegramAPIServer.from_base(api.url)`; tests drive
it as users (see driving.py), inject failures, and assert on recorded calls.
"""

from __future__ import annotations

import re
import time
from typing import Any

from aiohttp import web

from .chat.page import ChatPage
from .chat.routes import ChatRoutes
from .commands import commands_for
from .control import add_control_routes
from .delivery import UpdateQueue, Webhook, WebhookResponse
from .driving import UserActions
from .faults import ApiError, FaultRule, Faults, too_many_requests
from .holds import Holds
from .methods import METHODS, Telegram
from .recording import Call, CallLog, Matcher
from .wire import Files, read_request

TOKEN = re.compile(r"^(\d+):(\S+)$")


class LocalBotAPI(UserActions):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "refbot_test_bot",
        *,
        bot_id: int = 123456789,
        strict_chats: bool = False,
        chat_page: ChatPage | None = None,
        bot_name: str = "Refbot Test",
    ) -> None:
        """strict_chats: sends to a chat no user opened answer "chat not found" (as live).
        chat_page: also serve the chat page (localapi.chat) at / for these visitors."""
        self.host, self.port = host, port
        self.chat_page = chat_page
        self.telegram = Telegram(bot_username, strict_chats=strict_chats)
        self.telegram.bot_id = bot_id
        self.telegram.bot_name = bot_name
        self.faults = Faults()
        self.holds = Holds()
        self.log = CallLog()
        self.queue = UpdateQueue()
        self.webhook = Webhook(self._execute_webhook_reply)
        self.logged_out = False
        self._runner: web.AppRunner | None = None
        self._plumbing = {
            "getUpdates": self._get_updates,
            "setWebhook": lambda p: self.webhook.set(p, self.queue),
            "deleteWebhook": lambda p: self.webhook.delete(p, self.queue),
            "getWebhookInfo": lambda p: self.webhook.info(self.queue),
            "close": self._close,
            "logOut": self._log_out,
        }
        self._canonical = {name.lower(): name for name in [*METHODS, *self._plumbing]}
        super().__init__()

    # -- lifecycle ------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def token(self) -> str:
        """A token this server accepts, for the bot under test."""
        return f"{self.telegram.bot_id}:local-test-token"

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._serve_file)
        add_control_routes(app, self)
        if self.chat_page is not None:
            ChatRoutes(self, self.chat_page).add_to(app)
        return app

    async def start(self) -> LocalBotAPI:
        self._runner = web.AppRunner(self.make_app(), shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.webhook.start()
        return self

    async def stop(self) -> None:
        self.queue.close()  # long polls answer at once instead of holding shutdown
        self.holds.release()
        await self.webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- the Bot API endpoint -------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token = TOKEN.match(request.match_info["token"])
        if token is None:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        self.telegram.bot_id = int(token.group(1))
        params, files = await read_request(request)
        status, body = await self.execute(request.match_info["method"], params, files)
        return web.json_response(body, status=status)

    async def execute(
        self, method: str, params: dict[str, Any], files: Files | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call and record it; returns (HTTP status, JSON body)."""
        files = files or {}
        name = self._canonical.get(method.lower(), method)
        chat_id = self._chat_of(name, params)
        at = time.monotonic()
        try:
            result = await self._answer(name, params, files, chat_id)
        except ApiError as error:
            self.log.record(
                Call(name, params, files, at, chat_id, True, error.code, error.description)
            )
            await self.holds.wait(name, chat_id)
            return error.code, error.body()
        self.log.record(Call(name, params, files, at, chat_id, result=result))
        await self.holds.wait(name, chat_id)  # done and recorded; only the answer waits
        return 200, {"ok": True, "result": result}

    async def _answer(
        self, name: str, params: dict[str, Any], files: Files, chat_id: int | None
    ) -> Any:
        if name not in self._canonical.values():
            raise ApiError(404, "Not Found")
        self.faults.check(name, chat_id)
        try:
            if name in self._plumbing:
                return await self._plumbing[name](params)
            return METHODS[name](self.telegram, params, files, self.telegram.bot_id)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            # Malformed parameters: Telegram answers 400, and so must we, not a 500 page.
            raise ApiError(400, f"Bad Request: can't read the parameters: {e!r}") from e

    def method_named(self, name: str) -> str | None:
        """The Bot API method ``name`` names (case does not matter, as in Telegram), or None."""
        return self._canonical.get(name.lower())

    def _chat_of(self, method: str, params: dict[str, Any]) -> int | None:
        if method == "answerCallbackQuery":
            return self.telegram.callback_chats.get(str(params.get("callback_query_id")))
        chat_id = params.get("chat_id")
        return chat_id if isinstance(chat_id, int) else None

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        stored = self.telegram.files_by_path.get(request.match_info["path"])
        if TOKEN.match(request.match_info["token"]) is None or stored is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _execute_webhook_reply(self, params: dict[str, Any], files: Files) -> None:
        await self.execute(str(params.pop("method")), params, files)

    # -- plumbing methods -----------------------------------------------------------

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        if self.webhook.url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        return await self.queue.get_updates(params)

    async def _close(self, params: dict[str, Any]) -> Any:
        return True

    async def _log_out(self, params: dict[str, Any]) -> Any:
        self.logged_out = True
        return True

    # -- delivering updates ---------------------------------------------------------

    def deliver(self, update: dict[str, Any]) -> None:
        """Queue for getUpdates, or post to the webhook when one is set."""
        if self.webhook.url:
            if self.queue.allowed(update):
                self.webhook.put(update)
        else:
            self.queue.put(update)

    @property
    def webhook_responses(self) -> list[WebhookResponse]:
        return self.webhook.responses

    async def drain_webhook(self, timeout: float = 5.0) -> list[WebhookResponse]:
        """Wait until every pushed update was posted to the webhook and answered."""
        await self.webhook.drain(timeout)
        return self.webhook.responses

    # -- recorded calls -------------------------------------------------------------

    def calls(self, method: str | None = None, chat_id: int | None = None, **kw: Any) -> list[Call]:
        return self.log.calls(method, chat_id, **kw)

    def sent_to(self, chat_id: int, *, include_failed: bool = False) -> list[Call]:
        return self.log.sent_to(chat_id, include_failed=include_failed)

    def delivered(self, chat_id: int | None = None, method: str | None = None) -> list[Call]:
        return self.log.delivered(chat_id, method)

    async def wait_for(
        self,
        match: Matcher = None,
        chat_id: int | None = None,
        count: int = 1,
        timeout: float = 5.0,
        *,
        include_failed: bool = False,
    ) -> list[Call]:
        return await self.log.wait_for(
            match, chat_id, count, timeout, include_failed=include_failed
        )

    def clear_calls(self) -> None:
        self.log.clear()

    def commands(self, language_code: str = "", scope: dict[str, Any] | None = None) -> list[dict]:
        """The command menu the bot set for a language and scope (default: all users)."""
        return commands_for(self.telegram, language_code, scope)

    # -- failure injection ----------------------------------------------------------

    def block(self, chat_id: int) -> None:
        """Sends to this chat answer 403 "Forbidden: bot was blocked by the user"."""
        self.faults.blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self.faults.blocked.discard(chat_id)

    def inject_429(
        self,
        count: int = 1,
        retry_after: int = 1,
        method: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        """The next `count` matching calls answer 429; method=None skips polling/webhook calls."""
        self.faults.add(FaultRule(method, chat_id, count, too_many_requests(retry_after)))

    def fail_next(
        self,
        method: str | None,
        error_code: int,
        description: str,
        count: int = 1,
        *,
        chat_id: int | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        error = ApiError(error_code, description, parameters)
        self.faults.add(FaultRule(method, chat_id, count, error))

    def hold(self, method: str = "sendMessage", seconds: float = 30.0) -> None:
        """Calls of `method` are carried out and recorded, but each answer waits up to
        `seconds` or until release(): the message arrived, the bot has not heard."""
        self.holds.hold(method, seconds)

    def release(self) -> None:
        """Answer every held call now and hold no more."""
        self.holds.release()

    def held(self) -> list[int | None]:
        """Chats of the calls whose answers are held now."""
        return self.holds.held()

    def rate_limit(
        self, per_second_overall: int | None = 30, per_chat_per_second: int | None = 1
    ) -> None:
        """Answer 429 (retry_after=1) to sends beyond Telegram's limits; None lifts a limit."""
        self.faults.per_second_overall = per_second_overall
        self.faults.per_chat_per_second = per_chat_per_second

    def no_rate_limit(self) -> None:
        self.rate_limit(None, None)
