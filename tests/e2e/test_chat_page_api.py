"""The chat page's HTTP side on the local Bot API server: what the page reads,
what it may do as its visitors, and the clear 4xx it gets for anything else."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from aiogram.utils.web_app import safe_parse_webapp_init_data

from localapi import FakeUser, LocalBotAPI
from localapi.chat import ChatPage, Place, QrCode, Visitor

ANNA = FakeUser(501, "Анна")
PAGE = ChatPage(
    "test page",
    (Visitor("consumer", ANNA, {"ru": "покупатель", "en": "consumer"}),),
    places=(Place("Тверская", 55.76, 37.60),),
    qr_codes=(QrCode("Зерно", "c_zerno_x"),),
)


@pytest.fixture
async def page_api():
    async with LocalBotAPI(chat_page=PAGE) as server, aiohttp.ClientSession() as http:
        yield server, http


async def test_what_the_visitor_types_reaches_the_bot_and_the_reply_shows(page_api):
    server, http = page_api
    async with http.post(
        f"{server.url}/chat/api/send", json={"visitor": "consumer", "text": "/start c_zerno_x"}
    ) as response:
        assert response.status == 200
    update = (await server.queue.get_updates({"timeout": 0}))[-1]
    assert update["message"]["text"] == "/start c_zerno_x"
    assert update["message"]["entities"][0]["type"] == "bot_command"
    await server.execute(
        "sendMessage",
        {
            "chat_id": ANNA.id,
            "text": "<b>Hi</b>",
            "parse_mode": "HTML",
            "reply_markup": {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]},
        },
    )
    async with http.get(f"{server.url}/chat/api/chat/consumer") as response:
        chat = await response.json()
    reply = chat["messages"][-1]
    assert reply["text"] == "Hi" and reply["entities"][0]["type"] == "bold"
    async with http.post(
        f"{server.url}/chat/api/press",
        json={"visitor": "consumer", "message_id": reply["message_id"], "data": "y"},
    ) as response:
        assert response.status == 200
    pressed = (await server.queue.get_updates({"timeout": 0}))[-1]
    assert pressed["callback_query"]["data"] == "y"
    assert pressed["callback_query"]["from"]["id"] == ANNA.id


async def test_the_language_switch_changes_the_next_updates_and_tells_the_host():
    told: list[tuple[int, str]] = []

    async def host_stored(user: FakeUser, language: str) -> None:
        told.append((user.id, language))

    page = dataclasses.replace(PAGE, on_language=host_stored)
    async with LocalBotAPI(chat_page=page) as server, aiohttp.ClientSession() as http:
        for body, status in (
            ({"visitor": "consumer", "language": "de"}, 400),
            ({"visitor": "consumer", "language": "en"}, 200),
        ):
            async with http.post(f"{server.url}/chat/api/language", json=body) as response:
                assert response.status == status
        async with http.post(
            f"{server.url}/chat/api/send", json={"visitor": "consumer", "text": "/help"}
        ) as response:
            assert response.status == 200
        update = (await server.queue.get_updates({"timeout": 0}))[-1]
    assert update["message"]["from"]["language_code"] == "en"
    assert told == [(ANNA.id, "en")]  # the refused "de" told nothing


async def test_forged_presses_and_bad_bodies_get_a_clear_4xx(page_api):
    server, http = page_api
    await server.execute("sendMessage", {"chat_id": ANNA.id, "text": "no buttons"})
    for path, body, status in (
        ("press", {"visitor": "consumer", "message_id": 1, "data": "forged"}, 400),
        ("press", {"visitor": "consumer", "message_id": "x", "data": "y"}, 400),
        ("send", {"visitor": "nobody", "text": "hi"}, 404),
        ("send", {"visitor": "consumer", "text": ""}, 400),
        ("location", {"visitor": "consumer", "latitude": 95, "longitude": 0}, 400),
        ("language", {"visitor": "consumer", "language": "de"}, 400),
        ("webapp", {"visitor": "consumer", "url": "javascript:alert(1)"}, 400),
    ):
        async with http.post(f"{server.url}/chat/api/{path}", json=body) as response:
            assert response.status == status, (path, body, await response.text())
    async with http.post(f"{server.url}/chat/api/send", data=b"{not json") as response:
        assert response.status == 400
    async with http.get(f"{server.url}/chat/static/..%2Fpage.py") as response:
        assert response.status == 404
    assert await server.queue.get_updates({"timeout": 0}) == []  # nothing reached the bot


async def test_the_page_and_its_config_hold_no_token(page_api):
    server, http = page_api
    async with http.get(f"{server.url}/") as response:
        assert response.status == 200 and "chat.js" in await response.text()
    async with http.get(f"{server.url}/chat/api/config") as response:
        raw = await response.text()
        config = await response.json()
    assert server.token.split(":")[1] not in raw
    assert config["places"][0]["name"] == "Тверская"
    assert config["qr_codes"][0]["payload"] == "c_zerno_x"


async def test_a_mini_app_opens_with_init_data_the_bot_token_signed(page_api):
    server, http = page_api
    async with http.post(
        f"{server.url}/chat/api/webapp",
        json={"visitor": "consumer", "url": "http://127.0.0.1:9/app/"},
    ) as response:
        url = (await response.json())["url"]
    fragment = parse_qs(urlparse(url).fragment)
    parsed = safe_parse_webapp_init_data(server.token, fragment["tgWebAppData"][0])
    assert parsed.user is not None and parsed.user.id == ANNA.id
    with pytest.raises(ValueError):
        safe_parse_webapp_init_data("123456789:another-token", fragment["tgWebAppData"][0])


def test_localapi_and_its_page_import_nothing_of_refbot_or_aiogram():
    code = (
        "import sys, localapi, localapi.chat; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'bot', 'referral', 'aiogram'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
