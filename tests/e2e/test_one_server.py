"""`refbot run` in its own process: the bot polls and the HTTP API answers on one
port; SIGTERM stops both and the process exits cleanly."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import httpx

from localapi import FakeUser, LocalBotAPI
from tests.net import free_port
from tests.operator_cli import CHECKOUT


async def _until_http_up(url: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            assert process.returncode is None, "refbot run exited early"
            try:
                await client.get(url, timeout=1)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise AssertionError("the HTTP server did not come up")


async def test_refbot_run_serves_bot_and_http_and_stops_on_sigterm(
    api: LocalBotAPI, tmp_path: Path
):
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": CHECKOUT,
        "DATA_DIR": str(tmp_path / "data"),
        "LINK_SECRET": "run-secret",
        "BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.url,
        "HTTP_PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from bot.cli import main; main()",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await _until_http_up(f"http://127.0.0.1:{port}/api/v1/openapi.json", process)
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"http://127.0.0.1:{port}/api/v1/stats")
        assert answer.status_code == 401
        user = FakeUser(4242, language_code="en")
        api.send_text(user, "/help")
        reply = (await api.wait_for("sendMessage", chat_id=user.id, timeout=30))[0]
        assert "/privacy" in reply.params["text"]
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
        assert process.returncode == 0, stderr.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
