"""Processes for the survey crash tests: a standalone Bot API server and a real bot,
each a subprocess, so the bot can be killed with SIGKILL mid-delivery."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from localapi import FakeUser
from referral import links
from referral.members import MemberService
from tests.net import free_port

ROOT = Path(__file__).resolve().parents[2]
LINK_SECRET = "e2e-link-secret"


def start_localapi() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "localapi", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = proc.stdout.readline().strip()
    assert url.startswith("http"), url
    return proc, url


def start_bot(
    api_url: str, database_url: str, data_dir: Path, **env: str
) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "BOT_TOKEN": "123456789:local-test-token",
        "TELEGRAM_API_URL": api_url,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "LINK_SECRET": LINK_SECRET,
        "QUIET_HOURS": "",
        "LOG_LEVEL": "WARNING",
        # Its own HTTP port: on 8080 it dies at start whenever another run holds it.
        "HTTP_PORT": str(free_port()),
        **env,
    }
    log = open(data_dir / f"bot-{len(list(data_dir.glob('bot-*.log')))}.log", "wb")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def kill(proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def stop(proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            kill(proc)


async def consenting(members: MemberService, users: list[FakeUser], code: str) -> None:
    for user in users:
        await members.accept_consent(user.id, links.LinkTarget(code), user.language_code or "ru")


async def until(probe, timeout: float, what: str, bot: subprocess.Popen | None = None) -> None:  # type: ignore[no-untyped-def,type-arg]
    """Poll ``probe`` until true; fail at ``timeout``, or at once if ``bot`` exited."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await probe():
        if bot is not None and bot.poll() is not None:
            raise AssertionError(f"the bot exited ({bot.returncode}) before {what}")
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def first_questions(calls: list[dict]) -> dict[int, list[dict]]:
    """Successful sends of a survey's first question, by chat."""
    found: dict[int, list[dict]] = {}
    for call in calls:
        if (
            call["method"] == "sendMessage"
            and not call["failed"]
            and "1 из 4" in call["params"]["text"]
        ):
            found.setdefault(call["chat_id"], []).append(call)
    return found


async def press_again(control, user: FakeUser, message_id: int, data: str) -> dict:  # type: ignore[no-untyped-def]
    """Press a button the message no longer shows (an old client view, a replay)."""
    payload = {
        "user": {"id": user.id, "first_name": user.first_name, "language_code": user.language_code},
        "message_id": message_id,
        "data": data,
        "strict": False,
    }
    return await control._request("POST", "/press", json=payload)
