"""The HTTP app on a real uvicorn: `refbot api` in its own process, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import uvicorn

from refbot.services import build_services
from refbot.settings import Settings
from referral.apikeys import TRUST_SECONDS
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


def _api_env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "DATA_DIR": str(tmp_path / "data"),
        "LINK_SECRET": "cli-secret",
        "PYTHONPATH": CHECKOUT,
        "HTTP_PORT": str(free_port()),
    }


def _start_api(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "api"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_refbot_api_serves_without_a_token_and_stops_on_sigterm(tmp_path: Path):
    env = _api_env(tmp_path)
    port = env["HTTP_PORT"]
    assert refbot(tmp_path, "company", "add", "Acme", "--code", "acme", **env).returncode == 0
    created = refbot(tmp_path, "apikey", "create", "--company", "acme", "--name", "crm", **env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    process = _start_api(tmp_path, env)
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


def test_a_key_revoked_elsewhere_is_refused_by_a_running_server_at_once(tmp_path: Path):
    """`refbot api` running; the key revoked through the domain in this (another)
    process; the very next purchase and stats requests are 401, inside the 5 s
    in which the server would have trusted the key without reading it."""
    env = _api_env(tmp_path)
    port = env["HTTP_PORT"]
    assert refbot(tmp_path, "company", "add", "Acme", "--code", "acme", **env).returncode == 0
    created = refbot(tmp_path, "apikey", "create", "--company", "acme", **env)
    key = created.stdout.strip().splitlines()[-1]
    process = _start_api(tmp_path, env)
    sale = {
        "purchase_id": "r-1",
        "member": "nobody",
        "service": "latte",
        "amount_minor": 100,
        "time": "2026-11-30T14:30:00+03:00",
    }
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        _wait_until_up(f"{base}/openapi.json", process)
        auth = {"Authorization": f"Bearer {key}"}
        assert httpx.post(f"{base}/purchases", json=sale, headers=auth).status_code == 422
        started = time.monotonic()
        settings = Settings(_env_file=None, data_dir=tmp_path / "data", link_secret="cli-secret")
        asyncio.run(_revoke(settings, key.split("_")[1]))
        refused = httpx.post(f"{base}/purchases", json=sale, headers=auth)
        assert time.monotonic() - started < TRUST_SECONDS  # inside the old trust window
        assert refused.status_code == 401 and "revoked" in refused.json()["message"]
        assert httpx.get(f"{base}/stats", headers=auth).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=15)


async def _revoke(settings: Settings, public_id: str) -> None:
    services = build_services(settings)
    try:
        await services.apikeys.revoke(public_id)
    finally:
        await services.close()
