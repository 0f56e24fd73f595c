"""How long `refbot demo` takes until a newcomer can chat, and what the seed's
bulk history saves over the purchase import, in one run.

    nice -n 10 python bench/bench_demo.py [--members 2500] [--runs 3]

1. Start-up: `refbot demo --port P` as a newcomer runs it (a subprocess, with
   its imports), timed until the chat page answers and the bot has replied to
   a /start sent through the page. First with no template under DATA_DIR
   (cold: seed, train, copy), then --runs times with the template kept
   (warm: copy only). Each run ends with SIGINT (Ctrl+C), timed to exit, and
   `refbot ledger check` on the database it left.
2. History: the same members' settled purchases written by bot/demo/bulk.py
   and by PurchaseService.import_csv followed by the timeout job (the domain
   path, the strongest baseline: what a partner's file goes through), on
   --compare-members members, each into a fresh database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFBOT = Path(sys.executable).parent / "refbot"


def _get(url: str) -> dict | str:
    with urllib.request.urlopen(url, timeout=5) as response:
        body = response.read().decode()
    return json.loads(body) if body.startswith(("{", "[")) else body


def _post(url: str, body: dict) -> None:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=5).read()


def start_once(data_dir: Path, port: int) -> tuple[float, float, str]:
    """(seconds to a bot reply, seconds to exit after SIGINT, ledger check output)."""
    env = {**os.environ, "DATA_DIR": str(data_dir), "BOT_TOKEN": ""}
    started = time.perf_counter()
    demo = subprocess.Popen(
        [str(REFBOT), "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    assert demo.stdout is not None
    for line in demo.stdout:
        if "is ready" in line:
            break
    else:
        raise SystemExit(f"refbot demo exited with {demo.wait()} before it was ready")
    payload = _get(f"{base}/chat/api/config")["qr_codes"][0]["payload"]
    _post(f"{base}/chat/api/send", {"visitor": "consumer", "text": f"/start {payload}"})
    while True:
        messages = _get(f"{base}/chat/api/chat/consumer")["messages"]
        if any(m["from"]["is_bot"] for m in messages):
            break
        time.sleep(0.02)
    ready = time.perf_counter() - started
    stopping = time.perf_counter()
    demo.send_signal(signal.SIGINT)
    demo.communicate(timeout=60)
    stopped = time.perf_counter() - stopping
    database = data_dir / "demo" / "demo.sqlite3"
    check = subprocess.run(
        [str(REFBOT), "ledger", "check"],
        env={**env, "DATABASE_URL": f"sqlite+aiosqlite:///{database}"},
        capture_output=True,
        text=True,
    )
    return ready, stopped, (check.stdout + check.stderr).strip().splitlines()[-1]


async def history(members: int, bulk: bool) -> tuple[int, float]:
    """(purchases, seconds) to write the members' settled history one way."""
    sys.path.insert(0, str(ROOT))
    from datetime import UTC, datetime

    from bot.demo import histories
    from bot.demo.seed import _join, _partners, _purchases
    from migrations.runner import upgrade_async
    from refbot.services import build_services
    from refbot.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/history.sqlite3"
        await upgrade_async(url)
        settings = Settings(
            _env_file=None, bot_token="123456789:demo-template", database_url=url, link_secret="b"
        )
        services = build_services(settings)
        now = datetime.now(UTC)
        try:
            await _partners(services)
            people = list(histories.members(members, now))
            joined = await _join(services, people)
            started = time.perf_counter()
            if bulk:
                written = await _purchases(services, people, joined, now)
            else:
                written = await _through_the_import(services, people, joined, now)
            return written, time.perf_counter() - started
        finally:
            await services.close()


async def _through_the_import(services, people, joined, now) -> int:  # type: ignore[no-untyped-def]
    from collections import defaultdict

    from bot.demo.network import partner, price_paid

    files: dict[str, list[str]] = defaultdict(list)
    for person in people:
        _, pseudonym = joined[person.index]
        for visit in person.visits:
            items = {item.code: item for item in partner(visit.company).items}
            for code in visit.items:
                kopecks = price_paid(items[code])
                amount = f"{kopecks // 100}.{kopecks % 100:02d}"
                files[visit.company].append(f"{pseudonym},{code},{amount},{visit.at.isoformat()}")
    written = 0
    for code, lines in files.items():
        report = await services.loyalty.purchases.import_csv(
            code, "client,service,amount,time\n" + "\n".join(lines) + "\n"
        )
        written += report.added
    await services.ledger.settle_due(now)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="warm starts after the cold one")
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--compare-members", type=int, default=100)
    parser.add_argument("--only", choices=("startup", "history"), help="one part only")
    args = parser.parse_args()
    if args.only != "history":
        startup(args.runs, args.port)
    if args.only != "startup":
        compare_history(args.compare_members)


def startup(runs: int, port: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        print("refbot demo start-up (seconds until the bot answered /start from the page)")
        ready, stopped, check = start_once(data_dir, port)
        print(
            f"  cold (no template): ready {ready:6.1f} s, Ctrl+C -> exit {stopped:4.1f} s; {check}"
        )
        warm = []
        for run in range(runs):
            ready, stopped, check = start_once(data_dir, port)
            warm.append(ready)
            print(
                f"  warm run {run + 1}:        ready {ready:6.1f} s, "
                f"Ctrl+C -> exit {stopped:4.1f} s; {check}"
            )
    print(f"  warm median {sorted(warm)[len(warm) // 2]:.1f} s")


def compare_history(members: int) -> None:
    print(f"\nsettled history of {members} members, same data, fresh SQLite each")
    bulk_rows, bulk_seconds = asyncio.run(history(members, bulk=True))
    slow_rows, slow_seconds = asyncio.run(history(members, bulk=False))
    assert bulk_rows == slow_rows, (bulk_rows, slow_rows)
    for name, seconds in (
        ("bot/demo/bulk.py", bulk_seconds),
        ("import_csv + settle_due", slow_seconds),
    ):
        each = seconds / bulk_rows * 1000
        print(f"  {name:24} {bulk_rows} purchases in {seconds:6.2f} s: {each:.2f} ms each")
    print(f"  bulk is {slow_seconds / bulk_seconds:.0f}x faster")


if __name__ == "__main__":
    main()
