"""`python -m localapi --port 8081`: the emulator on its own, driven over /_control/."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from .server import LocalBotAPI


async def main(host: str, port: int, bot_username: str) -> None:
    api = LocalBotAPI(host, port, bot_username)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with api:
        # The URL alone on the first line, so a parent process can read it.
        print(api.url, flush=True)
        print(
            f"token for the bot: {api.token} (any <digits>:<text> works); "
            f"control API: {api.url}/_control/",
            flush=True,
        )
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m localapi", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--bot-username", default="refbot_test_bot")
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port, args.bot_username))
