"""Webhook mode on the one HTTP server with the secret header, and FSM state in Redis."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import pytest

from bot.app import build_bot, build_dispatcher
from bot.runner import SECRET_HEADER, serve_bot_and_http
from localapi import FakeUser
from refbot.services import build_services
from referral import links
from tests.e2e.harness import LINK_SECRET, button, running_bot, test_settings
from tests.net import free_port
from tests.services import redis_url
from web.app import build_http_app


async def test_webhook_mode_handles_updates_and_refuses_a_wrong_secret(api, sqlite_file, tmp_path):
    port = free_port()
    hook = f"http://127.0.0.1:{port}/tg/hook"
    settings = test_settings(
        api,
        sqlite_file,
        tmp_path,
        webhook_url=hook,
        webhook_secret="s3cret-Token",
        http_host="127.0.0.1",
        http_port=port,
    )
    services = build_services(settings)
    bot = build_bot(settings)
    dp = build_dispatcher(services)
    stop = asyncio.Event()
    serving = asyncio.create_task(
        serve_bot_and_http(bot, dp, build_http_app(services), settings, stop)
    )
    try:
        set_hook = (await api.wait_for("setWebhook"))[-1]
        assert set_hook.params["secret_token"] == "s3cret-Token"
        user = FakeUser(900, language_code="en")
        api.send_text(user, "/help")
        reply = (await api.wait_for("sendMessage", chat_id=user.id))[0]
        assert "/privacy" in reply.params["text"]
        assert [r.status for r in await api.drain_webhook()] == [200]

        async with aiohttp.ClientSession() as http:
            forged = {
                "update_id": 10**6,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": 901, "type": "private"},
                    "from": {"id": 901, "is_bot": False, "first_name": "X"},
                    "text": "/help",
                },
            }
            for headers in ({SECRET_HEADER: "wrong"}, {}):
                async with http.post(hook, json=forged, headers=headers) as response:
                    assert response.status == 403
            # The same server answers the CRM API.
            async with http.get(f"http://127.0.0.1:{port}/api/v1/stats") as response:
                assert response.status == 401
        assert api.sent_to(901) == []
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(serving, 10)
        await bot.session.close()
        await services.close()


@pytest.mark.redis
async def test_fsm_state_in_redis_is_shared_by_bot_processes_and_erased_by_forget(
    api, sqlite_file, tmp_path
):
    import redis.asyncio as redis
    from aiogram.fsm.storage.redis import RedisStorage

    url = await redis_url()
    settings = test_settings(api, sqlite_file, tmp_path, redis_url=url)
    client = redis.from_url(url)
    user = FakeUser(902, language_code="ru")
    try:
        async with running_bot(api, settings) as first:
            assert isinstance(first.dp.storage, RedisStorage)
            await first.services.companies.add("Acme Coffee", "acme")
            choose = (await first.say(user, "/language"))[0]
            await first.press(user, choose, button(choose, "English"))
            keys = [k async for k in client.scan_iter(f"fsm:*{user.id}*")]
            assert keys, "the language choice should live in Redis"
        payload = links.sign(links.LinkTarget("acme"), LINK_SECRET.encode())
        async with running_bot(api, settings) as second:  # another process, same Redis
            consent = (await second.say(user, f"/start {payload}"))[0]
            assert "Consent to data processing" in consent.params["text"]
            confirm = (await second.say(user, "/forget"))[0]
            await second.press(user, confirm, button(confirm, "erase"))
            assert [k async for k in client.scan_iter(f"fsm:*{user.id}*")] == []
    finally:
        async for key in client.scan_iter(f"fsm:*{user.id}*"):
            await client.delete(key)
        await client.aclose()
