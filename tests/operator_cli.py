"""The refbot command run as an operator runs it: a fresh process, settings
from the environment only, this checkout's code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECKOUT = str(Path(__file__).resolve().parents[1])  # not an older install


def refbot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": "/usr/bin:/bin",
        "DATA_DIR": str(tmp_path / "data"),
        "LINK_SECRET": "cli-secret",
        "BOT_USERNAME": "refbot_test_bot",
        "PYTHONPATH": CHECKOUT,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=60,
    )
