"""The HTTP app on a real uvicorn: `refbot api` in its own process, stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import uvicorn

from tests.net import free_port
from tests.operator_cli import CHECKOUT, refbot
from web.server import EmbeddedServer


def test_uvicorn_still_has_the_signal_hook_we_turn_off():
    # web/server.py overrides Server.capture_signals; if uvicorn renames it, the
    # override silently stops working and uvicorn takes SIGINT from the bot.
    assert "capture_signals" in vars(uvicorn.Server)
    assert "capture_signals" in vars(EmbeddedServer)


def _wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("refbot api did not start")


def test_refbot_api_serves_without_a_token_and_stops_on_sigterm(tmp_path: Path):
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "DATA_DIR": str(tmp_path / "data"),
        "LINK_SECRET": "cli-secret",
        "PYTHONPATH": CHECKOUT,
        "HTTP_PORT": str(port),
    }
    assert refbot(tmp_path, "company", "add", "Acme", "--code", "acme", **env).returncode == 0
    created = refbot(tmp_path, "apikey", "create", "--company", "acme", "--name", "crm", **env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "api"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        _wait_until_up(f"{base}/openapi.json", process)
        assert httpx.get(f"{base}/stats").status_code == 401
        answer = httpx.get(f"{base}/stats", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["company"] == "Acme"
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
