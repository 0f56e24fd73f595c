"""The chat page's HTTP side: static files at /, and /chat/api/ for the page's
script. Every action goes through the server's user actions (driving.py), so
the bot sees exactly the updates a Telegram client would cause."""

from __future__ import annotations

import dataclasses
import mimetypes
from importlib import resources
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..updates import FakeUser
from .page import ChatPage, Visitor
from .webapp import launch_url, sign_init_data

if TYPE_CHECKING:
    from ..server import LocalBotAPI

STATIC = resources.files(__package__) / "static"
LANGUAGES = ("ru", "en")


class ChatRoutes:
    def __init__(self, api: LocalBotAPI, page: ChatPage) -> None:
        self.api, self.page = api, page
        self.languages = {v.key: v.user.language_code or "ru" for v in page.visitors}

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/", self.index)
        app.router.add_get("/chat/static/{name}", self.static)
        app.router.add_get("/chat/api/config", self.config)
        app.router.add_get("/chat/api/chat/{visitor}", self.chat)
        app.router.add_post("/chat/api/send", self.send)
        app.router.add_post("/chat/api/press", self.press)
        app.router.add_post("/chat/api/location", self.location)
        app.router.add_post("/chat/api/language", self.language)
        app.router.add_post("/chat/api/webapp", self.webapp)
        app.router.add_get("/chat/api/file/{file_id}", self.file)

    # -- pages and files ------------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        return self._static_file("index.html")

    async def static(self, request: web.Request) -> web.Response:
        return self._static_file(request.match_info["name"])

    def _static_file(self, name: str) -> web.Response:
        item = STATIC / name
        if "/" in name or name.startswith(".") or not item.is_file():
            raise web.HTTPNotFound()
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return web.Response(body=item.read_bytes(), content_type=kind, charset="utf-8")

    async def file(self, request: web.Request) -> web.Response:
        stored = self.api.telegram.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        kind = mimetypes.guess_type(stored.filename)[0] or "application/octet-stream"
        headers = {"Content-Disposition": f'inline; filename="{stored.filename}"'}
        return web.Response(body=stored.data, content_type=kind, headers=headers)

    # -- reading a chat -------------------------------------------------------------

    async def config(self, request: web.Request) -> web.Response:
        return web.json_response({**self.page.public(), "bot": self.api.telegram.bot_user()})

    async def chat(self, request: web.Request) -> web.Response:
        """Every message of the visitor's chat as Telegram holds it now (edits
        applied, deletions gone), the answers to their button presses, and
        the command menu the bot set for them."""
        user = self._user(request.match_info["visitor"])
        messages = sorted(
            (m for (chat_id, _), m in self.api.telegram.messages.items() if chat_id == user.id),
            key=lambda m: m["message_id"],
        )
        answers = [
            {"n": n, "text": c.params["text"], "alert": bool(c.params.get("show_alert"))}
            for n, c in enumerate(self.api.calls("answerCallbackQuery", chat_id=user.id))
            if c.params.get("text")
        ]
        return web.json_response(
            {
                "messages": messages,
                "answers": answers,
                "commands": self._commands(user),
                "language": self.languages[request.match_info["visitor"]],
            }
        )

    def _commands(self, user: FakeUser) -> list[dict[str, Any]]:
        language = user.language_code or ""
        for scope in ({"type": "chat", "chat_id": user.id}, None):
            for code in (language, ""):
                if found := self.api.commands(code, scope):
                    return found
        return []

    # -- acting as the visitor ------------------------------------------------------

    async def send(self, request: web.Request) -> web.Response:
        data, user = await self._acting(request)
        text = str(data.get("text") or "").strip()
        if not text or len(text) > 4096:
            raise web.HTTPBadRequest(text="a message is 1-4096 characters")
        return web.json_response(self.api.send_text(user, text))

    async def press(self, request: web.Request) -> web.Response:
        data, user = await self._acting(request)
        try:
            update = self.api.press_button(user, int(data["message_id"]), str(data["data"]))
        except (KeyError, TypeError, ValueError) as error:
            raise web.HTTPBadRequest(text=f"no such button: {error}") from None
        return web.json_response(update)

    async def location(self, request: web.Request) -> web.Response:
        data, user = await self._acting(request)
        try:
            latitude, longitude = float(data["latitude"]), float(data["longitude"])
        except (KeyError, TypeError, ValueError):
            raise web.HTTPBadRequest(text="latitude and longitude are numbers") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise web.HTTPBadRequest(text="coordinates out of range")
        return web.json_response(self.api.share_location(user, latitude, longitude))

    async def language(self, request: web.Request) -> web.Response:
        data, _ = await self._acting(request)
        if data.get("language") not in LANGUAGES:
            raise web.HTTPBadRequest(text=f"language is one of {', '.join(LANGUAGES)}")
        self.languages[data["visitor"]] = data["language"]
        if self.page.on_language is not None:
            await self.page.on_language(self._user(data["visitor"]), data["language"])
        return web.json_response(True)

    async def webapp(self, request: web.Request) -> web.Response:
        """Open a web_app button's Mini App as the visitor: its URL with init data
        signed for the token the bot uses on this server."""
        data, user = await self._acting(request)
        url = str(data.get("url") or "")
        if not url.startswith(("http://", "https://")):
            raise web.HTTPBadRequest(text="a Mini App URL is http(s)")
        init_data = sign_init_data(self.api.token, user.to_dict())
        return web.json_response({"url": launch_url(url, init_data)})

    async def _acting(self, request: web.Request) -> tuple[dict[str, Any], FakeUser]:
        try:
            data = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="send JSON") from None
        if not isinstance(data, dict):
            raise web.HTTPBadRequest(text="send a JSON object")
        return data, self._user(str(data.get("visitor")))

    def _user(self, key: str) -> FakeUser:
        visitor: Visitor | None = self.page.visitor(key)
        if visitor is None:
            raise web.HTTPNotFound(text=f"no visitor {key!r}")
        return dataclasses.replace(visitor.user, language_code=self.languages[key])
