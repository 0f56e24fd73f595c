"""Updates handled per second: the /start -> consent flow of many users, beside
a bare aiogram echo bot, both against the same local Bot API server program in
the same run.

    python bench/bench_updates.py [--users 2000] [--rounds 3] [--database-url URL]

The Bot API server runs in its own process (`python -m localapi`), as
Telegram would be, started afresh for every bot measured, and every bot runs in
a fresh interpreter of its own, so each is measured with its own imports and
heap (an echo bot does not carry refbot's libraries). Each refbot user sends
/start <signed payload> (one reply) and presses Accept (an answerCallbackQuery
and an edit that turns the consent into the first profile question): 2 updates
per user. The echo bot gets the same number of text updates and answers each.
It runs three times: bare, as stock aiogram runs it (the ratio of the aim);
with its startup heap frozen, the baseline this bench used until 2026-11-25;
and with refbot's runtime: refbot's Bot API session (bot.session: JSON bodies,
response models kept), its garbage collector setup (bot.runner: startup heap
frozen, young generation collected every 50,000 allocations) and its bound of
500 updates in flight. Any aiogram bot could adopt that runtime, so the last
ratio shows how much of refbot's standing comes from it. A further bot makes
refbot's Bot API calls for the flow and nothing else, on refbot's runtime: the
floor those calls set. The bots take turns for --rounds rounds; the table gives medians.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiogram import Bot, Dispatcher  # noqa: E402
from aiogram.client.session.aiohttp import AiohttpSession  # noqa: E402
from aiogram.client.telegram import TelegramAPIServer  # noqa: E402
from aiogram.types import Message  # noqa: E402

from bot.runner import (  # noqa: E402
    MAX_UPDATES_IN_FLIGHT,
    prepare_heap_for_serving,
    run_polling,
)

TOKEN = "123456789:bench-token-bench"


@contextlib.contextmanager
def bot_api_process():  # type: ignore[no-untyped-def]
    process = subprocess.Popen(
        [sys.executable, "-m", "localapi", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        yield process.stdout.readline().strip()  # type: ignore[union-attr]
    finally:
        process.terminate()
        process.wait(10)


class Control:
    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url = http, url

    async def texts(self, items: list[dict]) -> None:
        async with self.http.post(f"{self.url}/_control/texts", json={"items": items}) as r:
            r.raise_for_status()

    async def presses(self, items: list[dict]) -> None:
        async with self.http.post(f"{self.url}/_control/presses", json={"items": items}) as r:
            r.raise_for_status()

    async def delivered(self, method: str = "sendMessage") -> int:
        async with self.http.get(f"{self.url}/_control/delivered", params={"method": method}) as r:
            return int(await r.json())

    async def sent(self) -> list[dict]:
        async with self.http.get(
            f"{self.url}/_control/calls", params={"method": "sendMessage"}
        ) as r:
            return await r.json()

    async def clear(self) -> None:
        async with self.http.delete(f"{self.url}/_control/calls") as r:
            r.raise_for_status()

    async def until_delivered(
        self, count: int, method: str = "sendMessage", timeout: float = 300
    ) -> None:
        deadline = time.monotonic() + timeout
        while await self.delivered(method) < count:
            if time.monotonic() > deadline:
                raise TimeoutError("the bot stopped answering")
            await asyncio.sleep(0.02)


def user(uid: int) -> dict:
    return {"id": uid, "first_name": "U", "language_code": "ru"}


@contextlib.asynccontextmanager
async def polling(bot: Bot, dp: Dispatcher, collector: str = "refbot") -> AsyncIterator[None]:
    """Poll for the duration of the block, the garbage collector set up first:
    "refbot" as `refbot run` sets it up (bot.runner.prepare_heap_for_serving)
    and with its bound on updates in flight, "frozen" with only the startup
    heap frozen (what this bench gave the echo bot until 2026-11-25), "stock"
    left as CPython starts it."""
    if collector == "refbot":
        prepare_heap_for_serving()
    elif collector == "frozen":
        gc.collect()
        gc.freeze()
    # refbot's bound on updates in flight belongs to its runtime too; the
    # stock echo bots poll unbounded, as aiogram does by default.
    in_flight = MAX_UPDATES_IN_FLIGHT if collector == "refbot" else None
    task = asyncio.create_task(run_polling(bot, dp, handle_signals=False, max_in_flight=in_flight))
    await asyncio.sleep(0.5)  # getMe, menus, first getUpdates
    try:
        yield
    finally:
        await dp.stop_polling()
        await asyncio.gather(task, return_exceptions=True)
        await bot.session.close()


@dataclass(frozen=True)
class Rate:
    updates: int
    seconds: float
    cpu_seconds: float  # this process only: the bot (and the small control client)

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_ms_per_update(self) -> float:
        return 1000 * self.cpu_seconds / self.updates


@contextlib.contextmanager
def measured(updates: int, result: list[Rate]):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    result.append(Rate(updates, time.perf_counter() - wall, time.process_time() - cpu))


async def echo_rate(control: Control, api_url: str, updates: int, collector: str) -> Rate:
    """The bare aiogram echo bot, its collector set up as ``collector`` says
    (see ``polling``); with refbot's collector setup it also talks through
    refbot's Bot API session instead of aiogram's stock one."""
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    if collector == "refbot":
        from bot.session import build_session

        session = build_session(api_url)
    else:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    bot = Bot(TOKEN, session=session)
    await control.clear()
    result: list[Rate] = []
    async with polling(bot, dp, collector):
        with measured(updates, result):
            await control.texts(
                [{"user": user(10_000 + i), "text": f"hello {i}"} for i in range(updates)]
            )
            await control.until_delivered(updates)
    return result[0]


async def consent_steps(control: Control, ids: list[int], payload: str, base: int = 0) -> None:
    """Each user sends /start with the payload, then presses Accept on the reply
    (``base``: messages the server holds already)."""
    await control.texts([{"user": user(i), "text": f"/start {payload}"} for i in ids])
    await control.until_delivered(base + len(ids))
    consents = {c["chat_id"]: c["result"]["message_id"] for c in await control.sent()}
    await control.presses(
        [{"user": user(i), "message_id": consents[i], "data": f"cs:ok:{payload}"} for i in ids]
    )
    await control.until_delivered(len(ids), method="editMessageText")


def new_users(users: int) -> list[int]:
    """Telegram ids nobody used before (the dedupe and members outlive a run on PostgreSQL)."""
    return [2**35 + time.time_ns() % 10**9 + i for i in range(users)]


async def consent_flow(control: Control, users: int, payload: str) -> Rate:
    result: list[Rate] = []
    with measured(2 * users, result):
        await consent_steps(control, new_users(users), payload)
    return result[0]


async def same_calls_rate(control: Control, api_url: str, users: int) -> Rate:
    """The floor (bench/floor_bot.py): refbot's Bot API calls for the flow alone."""
    from floor_bot import floor_bot, floor_dispatcher

    from referral import links

    bot, dp = floor_bot(TOKEN, api_url), floor_dispatcher()
    await control.clear()
    async with polling(bot, dp):
        return await consent_flow(control, users, links.sign(links.LinkTarget("floor"), b"k"))


async def refbot_rate(control: Control, api_url: str, users: int, database_url: str | None) -> Rate:
    """refbot as `refbot run` starts it: services, bot, dispatcher, polling."""
    from bot.app import build_bot, build_dispatcher
    from migrations.runner import upgrade_async
    from refbot.services import build_services
    from refbot.settings import Settings
    from referral import links

    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        await upgrade_async(url)
        settings = Settings(
            _env_file=None,
            # A bot id of its own per run: refbot's dedupe claims (bot id,
            # update_id) in the database, which outlives the run on PostgreSQL,
            # while each bench's Bot API server numbers updates from 1 again.
            bot_token=f"{10**9 + time.time_ns() % 10**9}:bench-token",
            telegram_api_url=api_url,
            database_url=url,
            data_dir=Path(tmp),
            link_secret="bench",
        )
        services = build_services(settings)
        code = f"bench{time.time_ns() % 10**8}"
        await services.companies.add("Bench Coffee", code)
        payload = links.sign(links.LinkTarget(code), b"bench")
        await control.clear()
        bot, dp = build_bot(settings), build_dispatcher(services)
        try:
            async with polling(bot, dp):
                return await consent_flow(control, users, payload)
        finally:
            await services.close()


ECHO_COLLECTORS = {"echo": "stock", "echo-frozen": "frozen", "echo-runtime": "refbot"}
ROLES = (*ECHO_COLLECTORS, "same-calls", "refbot")


async def run_role(role: str, api_url: str, users: int, database_url: str | None) -> Rate:
    async with aiohttp.ClientSession() as http:
        control = Control(http, api_url)
        if role in ECHO_COLLECTORS:
            return await echo_rate(control, api_url, 2 * users, ECHO_COLLECTORS[role])
        if role == "same-calls":
            return await same_calls_rate(control, api_url, users)
        return await refbot_rate(control, api_url, users, database_url)


def measure_in_own_process(role: str, api_url: str, args: argparse.Namespace) -> Rate:
    command = [sys.executable, __file__, "--role", role, "--api-url", api_url]
    command += ["--users", str(args.users)]
    if args.database_url:
        command += ["--database-url", args.database_url]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the {role} bot failed:\n{done.stderr}")
    return Rate(**json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--role", choices=ROLES, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:  # one bot, in this fresh process
        rate = asyncio.run(run_role(args.role, args.api_url, args.users, args.database_url))
        print(json.dumps(asdict(rate)))
        return

    rates: dict[str, list[Rate]] = {role: [] for role in ROLES}
    for _ in range(args.rounds):
        for role in ROLES:
            # A fresh server for every bot: the server keeps every chat and
            # message it has seen, so a shared one would grow through the run
            # and slow the bots that come later in each round.
            with bot_api_process() as api_url:
                rates[role].append(measure_in_own_process(role, api_url, args))
    per_second = {role: statistics.median(r.per_second for r in rates[role]) for role in ROLES}
    cpu = {role: statistics.median(r.cpu_ms_per_update for r in rates[role]) for role in ROLES}

    backend = "PostgreSQL" if args.database_url and "postgres" in args.database_url else "SQLite"
    print(f"updates: {2 * args.users} per bot per round ({args.users} users x /start + Accept)")
    print(f"database: {backend}; rounds: {args.rounds}; medians, each round's rate in brackets")
    print(f"{'':17}  updates/s   bot CPU ms/update")
    labels = (
        "echo bot",
        "echo, heap frozen",
        "echo, our runtime",
        "same calls only",
        "refbot consent",
    )
    for role, label in zip(ROLES, labels, strict=True):
        each = ", ".join(f"{r.per_second:.0f}" for r in rates[role])
        print(f"{label:17} {per_second[role]:9.1f}   {cpu[role]:9.2f}   [{each}]")
    print(f"{'ratio':17} {per_second['refbot'] / per_second['echo']:9.2f}   (aim: >= 0.50)")
    print(
        f"{'ratio, frozen':17} {per_second['refbot'] / per_second['echo-frozen']:9.2f}   "
        "(against the echo bot with its startup heap frozen, as this bench had it before)"
    )
    print(
        f"{'ratio, runtime':17} {per_second['refbot'] / per_second['echo-runtime']:9.2f}   "
        "(against the echo bot given refbot's whole runtime too)"
    )
    print(f"{'CPU ratio':17} {cpu['echo'] / cpu['refbot']:9.2f}   (echo's CPU per update / ours)")
    print(
        f"{'floor ratio':17} {per_second['same-calls'] / per_second['echo-runtime']:9.2f}   "
        "(refbot's Bot API calls alone, against the echo bot on the same runtime)"
    )
    print(
        f"{'refbot / floor':17} {per_second['refbot'] / per_second['same-calls']:9.2f}   "
        "(what refbot's own work leaves of the floor's rate)"
    )


if __name__ == "__main__":
    main()
