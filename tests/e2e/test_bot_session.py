"""refbot's Bot API session (bot/session.py) over real HTTP: JSON bodies for calls
without files, aiogram's multipart form for uploads, the same calls either way."""

from __future__ import annotations

import contextlib
import gc
import weakref
from collections.abc import AsyncIterator

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.methods.base import Response
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiohttp import web

from bot.session import build_session, keep_response_models
from localapi import FakeUser, LocalBotAPI
from tests.e2e.http_stub import serving

ALICE = FakeUser(1001, first_name="Alice", language_code="ru")
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Да", callback_data="cs:ok:c_acme_x")]]
)
HTML = DefaultBotProperties(parse_mode=ParseMode.HTML)


@contextlib.asynccontextmanager
async def bot_on(session: BaseSession) -> AsyncIterator[Bot]:
    bot = Bot("42:test-token", session=session, default=HTML)
    try:
        yield bot
    finally:
        await bot.session.close()


async def test_a_call_without_files_is_one_json_body_with_objects_as_objects():
    seen: list[tuple[str, str, object]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append((request.match_info["method"], request.content_type, await request.json()))
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", record)
    async with serving(app) as url, bot_on(build_session(url)) as bot:
        await bot.set_my_commands(
            [BotCommand(command="help", description="Помощь")],
            scope=BotCommandScopeChat(chat_id=7),
        )
        await bot.answer_callback_query("q1", show_alert=False)
    assert seen == [
        (
            "setMyCommands",
            "application/json",
            {
                "commands": [{"command": "help", "description": "Помощь"}],
                "scope": {"type": "chat", "chat_id": 7},
            },
        ),
        (
            "answerCallbackQuery",
            "application/json",
            {"callback_query_id": "q1", "show_alert": False},
        ),
    ]


async def test_the_server_gets_the_same_call_as_from_aiogram_s_own_session():
    async with LocalBotAPI() as api:
        stock = AiohttpSession(api=TelegramAPIServer.from_base(api.url))
        async with bot_on(stock) as bot:
            first = await bot.send_message(ALICE.id, "<b>Согласие</b> 1.0", reply_markup=KEYBOARD)
        async with bot_on(build_session(api.url)) as bot:
            second = await bot.send_message(ALICE.id, "<b>Согласие</b> 1.0", reply_markup=KEYBOARD)
            await bot.edit_message_text(
                "Спасибо", chat_id=ALICE.id, message_id=second.message_id, reply_markup=None
            )
        by_stock, by_ours = api.calls("sendMessage")
        assert by_ours.params == by_stock.params
        assert by_ours.params["parse_mode"] == "HTML"  # the bot's default, filled in
        assert by_ours.buttons() == [("Да", "cs:ok:c_acme_x")]
        assert isinstance(second, Message) and second.text == first.text
        assert api.calls("editMessageText")[0].params["text"] == "Спасибо"


async def test_an_upload_still_goes_as_aiogram_s_multipart_form():
    async with LocalBotAPI() as api, bot_on(build_session(api.url)) as bot:
        sent = await bot.send_photo(
            ALICE.id, BufferedInputFile(b"\x89PNG...", "qr.png"), caption="QR"
        )
        call = api.calls("sendPhoto")[0]
    assert call.params["caption"] == "QR"
    assert [name for name, _ in call.files.values()] == ["qr.png"]
    assert sent.photo


def test_response_models_survive_garbage_collection():
    keep_response_models()
    model = weakref.ref(Response[Message])  # pydantic's own cache holds it only weakly
    gc.collect()
    assert model() is not None
