"""Updates handled per second: the /start -> consent flow of many users, beside
a bare aiogram echo bot, both against the same local Bot API server in the
same run.

    python bench/bench_updates.py [--users 300] [--database-url URL]

The Bot API server runs in its own process (`python -m bot.localapi`), as
Telegram would be, so the bot process spends its time on the bot only. Each
refbot user sends /start <signed payload> (one reply) and presses Accept (an
answerCallbackQuery and an edit that turns the consent into the first profile
question): 2 updates per user. The echo bot gets the same number of text
updates and answers each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiogram import Bot, Dispatcher  # noqa: E402
from aiogram.client.session.aiohttp import AiohttpSession  # noqa: E402
from aiogram.client.telegram import TelegramAPIServer  # noqa: E402
from aiogram.types import Message  # noqa: E402

from bot.app import build_bot, build_dispatcher  # noqa: E402
from bot.runner import run_polling  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from migrations.runner import upgrade_async  # noqa: E402
from referral import links  # noqa: E402

TOKEN = "123456789:bench-token-bench"


@contextlib.contextmanager
def bot_api_process():  # type: ignore[no-untyped-def]
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.localapi", "--port", "0"], stdout=subprocess.PIPE, text=True
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
async def polling(bot: Bot, dp: Dispatcher) -> AsyncIterator[None]:
    task = asyncio.create_task(run_polling(bot, dp, handle_signals=False))
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


async def echo_rate(control: Control, api_url: str, updates: int) -> Rate:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    await control.clear()
    result: list[Rate] = []
    async with polling(bot, dp):
        with measured(updates, result):
            await control.texts(
                [{"user": user(10_000 + i), "text": f"hello {i}"} for i in range(updates)]
            )
            await control.until_delivered(updates)
    return result[0]


async def refbot_rate(control: Control, api_url: str, users: int, database_url: str | None) -> Rate:
    result: list[Rate] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        await upgrade_async(url)
        settings = Settings(
            _env_file=None,
            bot_token=TOKEN,
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
        ids = [2**35 + time.time_ns() % 10**9 + i for i in range(users)]
        try:
            async with polling(build_bot(settings), build_dispatcher(services)):
                with measured(2 * users, result):
                    await control.texts(
                        [{"user": user(i), "text": f"/start {payload}"} for i in ids]
                    )
                    await control.until_delivered(users)
                    sent = await control.sent()
                    consents = {c["chat_id"]: c["result"]["message_id"] for c in sent}
                    await control.presses(
                        [
                            {"user": user(i), "message_id": consents[i], "data": f"cs:ok:{payload}"}
                            for i in ids
                        ]
                    )
                    await control.until_delivered(users, method="editMessageText")
        finally:
            await services.close()
    return result[0]


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    with bot_api_process() as api_url:
        async with aiohttp.ClientSession() as http:
            control = Control(http, api_url)
            echo = await echo_rate(control, api_url, 2 * args.users)
            ours = await refbot_rate(control, api_url, args.users, args.database_url)
    backend = "PostgreSQL" if args.database_url and "postgres" in args.database_url else "SQLite"
    print(f"updates: {2 * args.users} ({args.users} users x /start + Accept), database: {backend}")
    print("                 updates/s   bot CPU ms/update")
    print(f"echo bot        {echo.per_second:9.1f}   {echo.cpu_ms_per_update:9.2f}")
    print(f"refbot consent  {ours.per_second:9.1f}   {ours.cpu_ms_per_update:9.2f}")
    print(f"ratio           {ours.per_second / echo.per_second:9.2f}   (aim: >= 0.50)")
    cpu_ratio = echo.cpu_ms_per_update / ours.cpu_ms_per_update
    print(f"CPU ratio       {cpu_ratio:9.2f}   (echo's CPU per update / ours)")


if __name__ == "__main__":
    asyncio.run(main())
