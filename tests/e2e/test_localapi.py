"""The local Bot API server, exercised through a real aiogram Bot over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.methods import SendMessage
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    ErrorEvent,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from localapi import CallTimeout, ControlClient, FakeUser, LocalBotAPI
from tests.e2e.http_stub import serving

ALICE = FakeUser(1001, first_name="Alice", language_code="ru", username="alice")
BOB = FakeUser(1002, first_name="Bob", language_code="en")
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Yes", callback_data="offer:yes")]]
)


@pytest.fixture
async def api() -> AsyncIterator[LocalBotAPI]:
    async with LocalBotAPI() as server:
        yield server


@pytest.fixture
async def bot(api: LocalBotAPI) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api.url))
    bot = Bot(
        "42:test-token", session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
    yield bot
    await bot.session.close()


@contextlib.asynccontextmanager
async def polling(bot: Bot, router: Router) -> AsyncIterator[list[BaseException]]:
    """Run a real Dispatcher in long polling; yields the errors its handlers raised."""
    errors: list[BaseException] = []
    dp = Dispatcher()
    dp.include_router(router)

    @dp.errors()
    async def keep(event: ErrorEvent) -> None:
        errors.append(event.exception)

    task = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
    )
    try:
        yield errors
    finally:
        with contextlib.suppress(RuntimeError):  # polling never got started
            await dp.stop_polling()
        await asyncio.wait_for(task, 5)


async def test_get_me_names_the_bot_by_its_token(api: LocalBotAPI, bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (42, "refbot_test_bot", True)
    assert api.calls("getMe")[0].params == {}


async def test_sent_message_is_recorded_and_echoed_with_its_keyboard(
    api: LocalBotAPI, bot: Bot
) -> None:
    first = await bot.send_message(ALICE.id, "<b>Hello</b> &amp; welcome", reply_markup=KEYBOARD)
    second = await bot.send_message(ALICE.id, "again")

    assert (first.message_id, second.message_id) == (1, 2)
    assert first.text == "Hello & welcome" and first.entities[0].type == "bold"
    assert first.from_user.id == 42 and first.chat.id == ALICE.id
    assert first.reply_markup.model_dump() == KEYBOARD.model_dump()
    call = api.sent_to(ALICE.id)[0]
    assert call.params["text"] == "<b>Hello</b> &amp; welcome"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "offer:yes"
    assert call.params["chat_id"] == ALICE.id and call.chat_id == ALICE.id
    assert [c.method for c in api.delivered(ALICE.id)] == ["sendMessage", "sendMessage"]


async def test_unescaped_html_is_refused_like_telegram_does(api: LocalBotAPI, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(ALICE.id, "price < 5")

    assert api.delivered() == [] and api.calls("sendMessage")[0].failed


async def test_photo_upload_keeps_filename_and_bytes(api: LocalBotAPI, bot: Bot) -> None:
    png = b"\x89PNG\r\n\x1a\nfake-qr"
    sent = await bot.send_photo(ALICE.id, BufferedInputFile(png, "qr.png"), caption="Your QR")

    call = api.calls("sendPhoto")[0]
    assert call.files["photo"] == ("qr.png", png)
    assert sent.caption == "Your QR" and sent.photo[-1].file_id
    file = await bot.get_file(sent.photo[-1].file_id)
    assert (await bot.download_file(file.file_path)).read() == png


async def test_commands_are_kept_per_language_and_scope(api: LocalBotAPI, bot: Bot) -> None:
    await bot.set_my_commands(
        [BotCommand(command="start", description="Начать")], language_code="ru"
    )
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.set_my_commands(
        [BotCommand(command="stats", description="Stats")], scope=BotCommandScopeChat(chat_id=7)
    )

    assert [c.description for c in await bot.get_my_commands(language_code="ru")] == ["Начать"]
    assert api.commands("ru") == [{"command": "start", "description": "Начать"}]
    assert [c.description for c in await bot.get_my_commands()] == ["Start"]
    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=7))
    assert [c.command for c in scoped] == ["stats"]
    await bot.delete_my_commands(language_code="ru")
    assert await bot.get_my_commands(language_code="ru") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Offers", description="x")])


async def test_polling_bot_answers_a_pushed_text(api: LocalBotAPI, bot: Bot) -> None:
    router = Router()

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo {message.text} {message.from_user.language_code}")

    update = api.send_text(ALICE, "/start abc")
    async with polling(bot, router) as errors:
        [reply] = await api.wait_for("sendMessage", chat_id=ALICE.id)

    assert update["message"]["entities"][0] == {"type": "bot_command", "offset": 0, "length": 6}
    assert reply.params["text"] == "echo /start abc ru"
    assert reply.result["message_id"] == 2  # the user's message was 1 in the same chat
    assert errors == []


async def test_same_update_pushed_twice_is_delivered_twice(api: LocalBotAPI, bot: Bot) -> None:
    first = api.send_text(BOB, "one")
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [first["update_id"]]
    api.push_update(first)
    again = await bot.get_updates(offset=first["update_id"] + 1, timeout=0)

    assert [u.update_id for u in again] == [first["update_id"]]
    assert await bot.get_updates(offset=first["update_id"] + 1, timeout=0) == []


async def test_get_updates_long_polls_until_an_update_arrives(api: LocalBotAPI, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=1) == []
    assert loop.time() - started >= 0.9

    loop.call_later(0.2, api.send_text, BOB, "late")
    started = loop.time()
    updates = await bot.get_updates(timeout=5)
    assert [u.message.text for u in updates] == ["late"]
    assert loop.time() - started < 2


async def test_button_press_reaches_callback_handler(api: LocalBotAPI, bot: Bot) -> None:
    router = Router()

    @router.callback_query(F.data == "offer:yes")
    async def accept(query: CallbackQuery) -> None:
        await query.answer("Accepted")
        await query.message.edit_text("You accepted", reply_markup=None)

    sent = await bot.send_message(ALICE.id, "An offer", reply_markup=KEYBOARD)
    with pytest.raises(ValueError, match="no button"):
        api.press_button(ALICE, sent, "offer:forged")
    api.press_button(ALICE, sent, "offer:yes")
    async with polling(bot, router) as errors:
        [answer] = await api.wait_for("answerCallbackQuery", chat_id=ALICE.id)
        [edit] = await api.wait_for("editMessageText")

    assert answer.params["text"] == "Accepted"
    assert edit.result["text"] == "You accepted" and "reply_markup" not in edit.result
    assert errors == []


async def test_injected_429_raises_retry_after_and_is_recorded(api: LocalBotAPI, bot: Bot) -> None:
    api.inject_429(count=1, retry_after=3, method="sendMessage")

    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(BOB.id, "survey")
    await bot.send_message(BOB.id, "survey")

    assert refused.value.retry_after == 3
    assert [c.failed for c in api.calls("sendMessage")] == [True, False]
    assert len(api.delivered(BOB.id)) == 1


async def test_held_answer_waits_though_the_message_is_already_delivered(
    api: LocalBotAPI, bot: Bot
) -> None:
    api.hold("sendMessage", seconds=30)
    sending = asyncio.create_task(bot.send_message(BOB.id, "survey"))
    await api.wait_for("sendMessage", BOB.id)
    await asyncio.sleep(0.2)

    assert api.held() == [BOB.id] and not sending.done()
    api.release()
    sent = await asyncio.wait_for(sending, 5)
    await asyncio.wait_for(bot.send_message(BOB.id, "not held"), 5)
    assert sent.text == "survey" and api.held() == []
    assert len(api.delivered(BOB.id)) == 2


async def test_held_answer_comes_after_its_seconds(api: LocalBotAPI, bot: Bot) -> None:
    api.hold("sendMessage", seconds=0.3)
    await asyncio.wait_for(bot.send_message(BOB.id, "survey"), 5)
    assert api.held() == [] and len(api.delivered(BOB.id)) == 1


async def test_blocked_user_makes_sends_forbidden(api: LocalBotAPI, bot: Bot) -> None:
    api.my_chat_member(BOB, "kicked")
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_message(BOB.id, "hi")
    api.unblock(BOB.id)
    api.block(ALICE.id)

    await bot.send_message(BOB.id, "hi")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(ALICE.id, "hi")
    assert [c.chat_id for c in api.delivered()] == [BOB.id]


async def test_edits_fail_like_telegram(api: LocalBotAPI, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("new", chat_id=ALICE.id, message_id=99)
    sent = await bot.send_message(ALICE.id, "same", reply_markup=KEYBOARD)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "same", chat_id=ALICE.id, message_id=sent.message_id, reply_markup=KEYBOARD
        )

    edited = await bot.edit_message_reply_markup(chat_id=ALICE.id, message_id=sent.message_id)
    assert edited.reply_markup is None and edited.edit_date is not None
    assert await bot.delete_message(ALICE.id, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(ALICE.id, sent.message_id)


async def test_user_document_can_be_downloaded(api: LocalBotAPI, bot: Bot) -> None:
    api.send_document(ALICE, "catalogue.csv", b"service,price\nwash,500\n", mime_type="text/csv")

    [update] = await bot.get_updates(timeout=0)
    document = update.message.document
    assert document.file_name == "catalogue.csv"
    data = await bot.download(document.file_id)
    assert data.read() == b"service,price\nwash,500\n"


async def test_webhook_mode_posts_updates_with_the_secret(api: LocalBotAPI, bot: Bot) -> None:
    received: list[tuple[str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with serving(app) as base:
        url = f"{base}/hook"
        await bot.set_webhook(url, secret_token="s3cret")
        with pytest.raises(TelegramConflictError):
            await bot.get_updates()
        update = api.send_text(ALICE, "via webhook")
        await api.drain_webhook()
        info = await bot.get_webhook_info()
        await bot.delete_webhook()
        api.send_text(ALICE, "queued again")

    assert info.url == url
    assert received == [("s3cret", update)]
    assert [(r.update_id, r.status) for r in api.webhook_responses] == [(update["update_id"], 200)]
    assert [u.message.text for u in await bot.get_updates(timeout=0)] == ["queued again"]


async def test_webhook_reply_in_the_response_body_is_executed(api: LocalBotAPI, bot: Bot) -> None:
    router = Router()

    @router.message(F.text)
    async def reply_inline(message: Message) -> SendMessage:
        return message.answer(f"got {message.text}")

    dp = Dispatcher()
    dp.include_router(router)
    app = web.Application()
    SimpleRequestHandler(dp, bot, handle_in_background=False).register(app, path="/hook")
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{runner.addresses[0][1]}/hook")
        api.send_text(BOB, "hi")
        [sent] = await api.wait_for("sendMessage", chat_id=BOB.id)
    finally:
        await runner.cleanup()

    assert sent.params["text"] == "got hi"
    assert api.webhook_responses[0].status == 200


async def test_rate_limit_refuses_a_second_send_to_one_chat_within_a_second(
    api: LocalBotAPI, bot: Bot
) -> None:
    api.rate_limit(per_second_overall=30, per_chat_per_second=1)

    await bot.send_message(ALICE.id, "one")
    await bot.send_message(BOB.id, "one")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(ALICE.id, "two")
    assert [c.chat_id for c in api.delivered()] == [ALICE.id, BOB.id]


async def test_wait_for_timeout_says_what_was_received(api: LocalBotAPI, bot: Bot) -> None:
    await bot.send_message(ALICE.id, "something else")

    with pytest.raises(CallTimeout, match=r"(?s)sendPhoto.*sendMessage\(chat=1001\)"):
        await api.wait_for("sendPhoto", timeout=0.1)


async def test_bad_token_and_unknown_method_answer_like_telegram(api: LocalBotAPI) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{api.url}/botnot-a-token/getMe") as resp:
            assert resp.status == 401
        async with http.post(f"{api.url}/bot1:x/sendTelepathy", data={"chat_id": "1"}) as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.post(
            f"{api.url}/bot1:x/sendmessage", json={"chat_id": 5, "text": "json body"}
        ) as resp:
            assert (await resp.json())["result"]["text"] == "json body"


async def test_standalone_process_is_driven_over_the_control_api(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "localapi", "--port", "0"],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = (await asyncio.to_thread(proc.stdout.readline)).strip()
        assert url.startswith("http://127.0.0.1:")
        session = AiohttpSession(api=TelegramAPIServer.from_base(url))
        async with Bot("7:abc", session=session) as bot, ControlClient(url) as control:
            update = await control.send_text(ALICE, "hello")
            [got] = await bot.get_updates(timeout=1)
            await control.block(ALICE.id)
            with pytest.raises(TelegramForbiddenError):
                await bot.send_message(ALICE.id, "hi")
            calls = await control.calls("sendMessage")
            await control.hold("sendMessage", seconds=30)
            sending = asyncio.create_task(bot.send_message(BOB.id, "held"))
            await control.wait_for("sendMessage", BOB.id)
            assert await control.held() == [BOB.id] and not sending.done()
            await control.release()
            await asyncio.wait_for(sending, 5)
        assert got.update_id == update["update_id"] and got.message.text == "hello"
        assert json.loads(json.dumps(calls))[0]["failed"] is True
    finally:
        proc.terminate()
        proc.wait(5)
