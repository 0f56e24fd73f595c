"""Ctrl+C on a real `refbot demo` process: during the first start's build, and
while a newcomer's first purchases are being written. Either way the process
exits by itself with 0, and what it leaves passes `refbot ledger check`. How
long the stop takes is printed by bench/bench_demo.py, not asserted here."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

REFBOT = Path(sys.executable).parent / "refbot"
SMALL_NETWORK = "150"
WAIT = 90.0  # seconds: a first start on a loaded 2-core machine


class Demo:
    """`refbot demo --port 0` in a subprocess, its output read line by line."""

    def __init__(self, data_dir: Path) -> None:
        self.env = {**os.environ, "DATA_DIR": str(data_dir), "BOT_TOKEN": ""}
        self.process = subprocess.Popen(
            [str(REFBOT), "demo", "--port", "0", "--members", SMALL_NETWORK],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern: str) -> re.Match[str]:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"the demo ended before {pattern!r}:\n{self.printed()}")
            self.output.append(line)
            if found := re.search(pattern, line):
                return found
        raise AssertionError(f"no {pattern!r} in {WAIT:.0f} s:\n{self.printed()}")

    def interrupt(self) -> int:
        """Ctrl+C, then the exit code once the process has ended on its own."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=WAIT)
        while (line := self.lines.get(timeout=WAIT)) is not None:
            self.output.append(line)
        return code

    def printed(self) -> str:
        return "".join(self.output)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _call(base: str, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{base}/chat/api/{path}", data, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _bot_message(base: str, having: str) -> dict:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        for message in _call(base, "chat/consumer")["messages"]:
            if message["from"]["is_bot"] and having in (message.get("text") or ""):
                return message
        time.sleep(0.05)
    raise AssertionError(f"the bot said nothing with {having!r}")


def test_ctrl_c_stops_the_demo_cleanly_during_the_build_and_while_it_serves(tmp_path):
    building = Demo(tmp_path)
    try:
        building.wait_for("Building the demo network")
        assert building.interrupt() == 0, building.printed()
    finally:
        building.kill()
    assert "next start builds it again" in building.printed()
    assert not list((tmp_path / "demo").glob("template-*/complete"))  # nothing half-built kept

    serving = Demo(tmp_path)
    try:
        base = serving.wait_for(r"open (http://127\.0\.0\.1:\d+)").group(1)
        assert "Building the demo network" in serving.printed()  # built again, whole
        payload = _call(base, "config")["qr_codes"][0]["payload"]
        _call(base, "send", {"visitor": "consumer", "text": f"/start {payload}"})
        consent = _bot_message(base, "Согласие")
        accept = next(
            button["callback_data"]
            for row in consent["reply_markup"]["inline_keyboard"]
            for button in row
            if button["text"] == "Согласен"
        )
        # Accept starts the partner's till reporting the newcomer's first
        # purchases (rewards, postings): Ctrl+C lands while that is under way.
        _call(
            base,
            "press",
            {"visitor": "consumer", "message_id": consent["message_id"], "data": accept},
        )
        assert serving.interrupt() == 0, serving.printed()
    finally:
        serving.kill()
    assert "Stopping" in serving.printed()
    database = tmp_path / "demo" / "demo.sqlite3"
    check = subprocess.run(
        [str(REFBOT), "ledger", "check"],
        env={**serving.env, "DATABASE_URL": f"sqlite+aiosqlite:///{database}"},
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert check.returncode == 0 and "ledger ok" in check.stdout, check.stdout + check.stderr
