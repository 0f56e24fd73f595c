"""Updates handled per second: the /start -> consent flow of many users through
the local Bot API server, beside a bare aiogram echo bot on the same server in
the same run.

    python bench/bench_updates.py [--users 300] [--database-url URL]

Each user sends /start <signed payload> (one update, one reply) and presses
Accept (one update: answerCallbackQuery, an edit and the first profile
question). The echo bot gets the same number of text updates and answers each.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiogram import Bot, Dispatcher  # noqa: E402
from aiogram.client.session.aiohttp import AiohttpSession  # noqa: E402
from aiogram.client.telegram import TelegramAPIServer  # noqa: E402
from aiogram.types import Message  # noqa: E402

from bot.localapi import FakeUser, LocalBotAPI  # noqa: E402
from bot.settings import Settings  # noqa: E402
from migrations.runner import upgrade_async  # noqa: E402
from referral import links  # noqa: E402
from tests.e2e.harness import button, running_bot  # noqa: E402


async def wait_until(probe, timeout: float = 300.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError("the bot stopped answering")
        await asyncio.sleep(0.02)


async def echo_rate(updates: int) -> float:
    async with LocalBotAPI(bot_id=42) as api:
        dp = Dispatcher()

        @dp.message()
        async def echo(message: Message) -> None:
            await message.answer(message.text or "")

        bot = Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))
        task = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
        await asyncio.sleep(0.3)
        start = time.perf_counter()
        for i in range(updates):
            api.send_text(FakeUser(10_000 + i), f"hello {i}")
        await wait_until(lambda: len(api.delivered(method="sendMessage")) >= updates)
        elapsed = time.perf_counter() - start
        await dp.stop_polling()
        await task
        await bot.session.close()
    return updates / elapsed


async def refbot_rate(users: int, database_url: str | None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        await upgrade_async(url)
        async with LocalBotAPI() as api:
            settings = Settings(
                _env_file=None, bot_token=api.token, telegram_api_url=api.url, database_url=url,
                data_dir=Path(tmp), link_secret="bench",
            )
            async with running_bot(api, settings) as refbot:
                await refbot.services.companies.add("Bench Coffee", f"bench{int(time.time()) % 100000}")
                code = (await refbot.services.companies.all())[-1].code
                payload = links.sign(links.LinkTarget(code), b"bench")
                people = [FakeUser(2**35 + i) for i in range(users)]
                start = time.perf_counter()
                for person in people:
                    api.send_text(person, f"/start {payload}")
                # One scan of the call log per poll: checking chat by chat would
                # cost the benchmark more than the bot under test.
                await wait_until(lambda: len(api.delivered(method="sendMessage")) >= users)
                for person in people:
                    consent = api.sent_to(person.id)[0]
                    api.press_button(person, consent, button(consent, "Соглас"))
                await wait_until(lambda: len(api.delivered(method="sendMessage")) >= 2 * users)
                elapsed = time.perf_counter() - start
    return 2 * users / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    echo = await echo_rate(2 * args.users)
    ours = await refbot_rate(args.users, args.database_url)
    backend = "PostgreSQL" if args.database_url and "postgres" in args.database_url else "SQLite"
    print(f"updates: {2 * args.users} ({args.users} users x /start + Accept), database: {backend}")
    print(f"echo bot        {echo:8.1f} updates/s")
    print(f"refbot consent  {ours:8.1f} updates/s")
    print(f"ratio           {ours / echo:8.2f}  (aim: >= 0.50)")


if __name__ == "__main__":
    asyncio.run(main())
