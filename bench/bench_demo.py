"""How long `refbot demo` takes until a newcomer can chat, and what the seed's
bulk history saves over the purchase import, in one run.

    python bench/bench_demo.py [--runs 3] [--only startup]

1. Start-up: `refbot demo --port P` as a newcomer runs it (a subprocess, with
   its imports), timed to "ready" on the terminal, to the bot's answer to a
   /start sent through the chat page, and to the real aim: after Accept (and
   the profile questions skipped), /offers answered with an offer read from
   the member's own history, not the popularity fallback. First with no
   template under DATA_DIR (cold: seed, train, copy; its phases as the demo
   printed them), then --runs times with the template kept (warm: copy only).
   Each run ends with SIGINT (Ctrl+C), timed to exit, and `refbot ledger
   check` on the database it left. The machine's load average is printed
   beside every run: the machine is shared, and the figures move with it.
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
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFBOT = Path(sys.executable).parent / "refbot"


PERSONAL = (  # the reasons of offers read from the member's own history (bot/texts/ru/offers.ftl)
    "участники с похожими покупками",
    "хорошо сочетается с",
    "вы обычно берёте",
)


def _get(url: str) -> dict | str:
    with urllib.request.urlopen(url, timeout=5) as response:
        body = response.read().decode()
    return json.loads(body) if body.startswith(("{", "[")) else body


def _post(url: str, body: dict) -> None:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=5).read()


def load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


@dataclass
class Start:
    printed: float  # "is ready" on the terminal
    answered: float  # the bot's reply to /start sent through the page
    personal: float  # /offers answered with an offer read from the member's history
    stopped: float  # SIGINT to exit
    check: str  # `refbot ledger check` on what it left
    phases: list[str] = field(default_factory=list)  # the first start's build, as it printed
    load_before: str = ""
    load_after: str = ""


class Visitor:
    """The consumer on the chat page, through the page's own HTTP API. Each
    action returns the chat as it was before it; replies are what is new or
    edited since (the bot edits its question in place for the next one)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def say(self, text: str) -> dict[int, str]:
        before = self.snapshot()
        _post(f"{self.base}/chat/api/send", {"visitor": "consumer", "text": text})
        return before

    def press(self, message: dict, label: str) -> dict[int, str]:
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        data = next(b["callback_data"] for row in rows for b in row if b["text"] == label)
        before = self.snapshot()
        _post(
            f"{self.base}/chat/api/press",
            {"visitor": "consumer", "message_id": message["message_id"], "data": data},
        )
        return before

    def snapshot(self) -> dict[int, str]:
        return {m["message_id"]: _text(m) for m in self.messages()}

    def messages(self) -> list[dict]:
        return _get(f"{self.base}/chat/api/chat/consumer")["messages"]

    def replies(self, before: dict[int, str]) -> list[dict]:
        return [
            m
            for m in self.messages()
            if m["from"]["is_bot"] and before.get(m["message_id"]) != _text(m)
        ]

    def reply(self, before: dict[int, str], having: str, timeout: float = 60.0) -> dict:
        """The bot's first new or edited message since ``before`` containing ``having``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.replies(before):
                if having in _text(message):
                    return message
            time.sleep(0.02)
        raise SystemExit(f"the bot said nothing with {having!r} in {timeout:.0f} s")


def _text(message: dict) -> str:
    return message.get("text") or message.get("caption") or ""


def start_once(data_dir: Path, port: int) -> Start:
    """One `refbot demo` start as a newcomer makes it, timed at each step."""
    env = {**os.environ, "DATA_DIR": str(data_dir), "BOT_TOKEN": ""}
    before = load()
    started = time.perf_counter()
    demo = subprocess.Popen(
        [str(REFBOT), "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        printed, answered, personal, phases = _newcomer(demo, f"http://127.0.0.1:{port}", started)
    except BaseException:
        demo.kill()
        demo.wait()
        raise
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
    verdict = (check.stdout + check.stderr).strip().splitlines()[-1]
    return Start(printed, answered, personal, stopped, verdict, phases, before, load())


def _newcomer(
    demo: subprocess.Popen, base: str, started: float
) -> tuple[float, float, float, list[str]]:
    """Seconds to 'ready', to the /start answer, to a personal offer; the build's phases."""
    assert demo.stdout is not None
    phases = []
    for line in demo.stdout:
        if line.startswith("  ") and line.rstrip().endswith(" s)"):
            phases.append(line.strip())
        if "is ready" in line:
            break
    else:
        raise SystemExit(f"refbot demo exited with {demo.wait()} before it was ready")
    printed = time.perf_counter() - started
    consumer = Visitor(base)
    payload = _get(f"{base}/chat/api/config")["qr_codes"][0]["payload"]
    consent = consumer.reply(consumer.say(f"/start {payload}"), "Согласие")
    answered = time.perf_counter() - started
    after = consumer.press(consent, "Согласен")
    for question in ("возрастная группа", "уровень дохода", "регион"):
        after = consumer.press(consumer.reply(after, question), "Пропустить")
    consumer.reply(after, "Профиль сохранён")
    # The partner's till reports the newcomer's first purchases right after
    # Accept (bot/demo/live.py); until the bot reads them, offers can only be
    # what is popular, so ask again (slower than the bot's throttle) until
    # one is read from the member's own history.
    while True:
        after = consumer.say("/offers")
        consumer.reply(after, "Почему:")
        time.sleep(0.3)  # the rest of the offers, one message each
        said = [_text(m) for m in consumer.replies(after)]
        if any(reason in text for text in said for reason in PERSONAL):
            break
        time.sleep(1.0)
    return printed, answered, time.perf_counter() - started, phases


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
        print(
            "refbot demo start-up, seconds from the command: 'ready' printed, /start answered "
            "on the page, /offers answered with a personal offer; then Ctrl+C to exit"
        )
        cold = start_once(data_dir, port)
        _print("cold (no template)", cold)
        for phase in cold.phases:
            print(f"      {phase}")
        warm = []
        for run in range(runs):
            start = start_once(data_dir, port)
            warm.append(start.personal)
            _print(f"warm run {run + 1}", start)
    print(f"  warm median {sorted(warm)[len(warm) // 2]:.1f} s to a personal offer")


def _print(name: str, start: Start) -> None:
    print(
        f"  {name:18} ready {start.printed:5.1f}, /start {start.answered:5.1f}, "
        f"personal offer {start.personal:5.1f} s; Ctrl+C -> exit {start.stopped:4.1f} s; "
        f"{start.check} ({start.load_before} -> {start.load_after})"
    )


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
