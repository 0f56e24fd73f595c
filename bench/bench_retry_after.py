"""What RetryAfterMiddleware adds to every Bot API call that succeeds, beside
a bare call and beside tenacity's AsyncRetrying built for every call (how the
middleware worked before its fast path), in the same run.

    python bench/bench_retry_after.py [--calls 50000] [--rounds 5]

The request itself is an awaitable that returns at once, so the figures are
the middleware's own CPU time per call. The flow of bench/bench_offers.py
makes 7 Bot API calls per 3 updates; multiply by 2.33 for a cost per update.
Medians over --rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiogram.methods import SendMessage  # noqa: E402
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt  # noqa: E402

from bot.errors import RetryAfterMiddleware, _log_retry, _what_telegram_asks  # noqa: E402

METHOD = SendMessage(chat_id=1, text="hi")


async def answered(bot, method):  # type: ignore[no-untyped-def]
    return True


async def bare(make_request, bot, method):  # type: ignore[no-untyped-def]
    return await make_request(bot, method)


class RetryingEveryCall(RetryAfterMiddleware):
    """The baseline: the retry machinery built before every call."""

    async def __call__(self, make_request, bot, method):  # type: ignore[no-untyped-def]
        retrying = AsyncRetrying(
            retry=retry_if_exception(self._worth_waiting),
            wait=_what_telegram_asks,
            stop=stop_after_attempt(self.attempts),
            sleep=self.sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        return await retrying(make_request, bot, method)


async def us_per_call(middleware, calls: int) -> float:  # type: ignore[no-untyped-def]
    began = time.process_time()
    for _ in range(calls):
        await middleware(answered, None, METHOD)
    return 1e6 * (time.process_time() - began) / calls


async def main(calls: int, rounds: int) -> None:
    ways = {
        "bare call": bare,
        "tenacity built every call": RetryingEveryCall(),
        "RetryAfterMiddleware": RetryAfterMiddleware(),
    }
    figures: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, middleware in ways.items():
            figures[name].append(await us_per_call(middleware, calls))
    print(f"{calls} successful calls a round, {rounds} rounds; CPU us per call, median [rounds]")
    for name, got in figures.items():
        each = ", ".join(f"{g:.2f}" for g in got)
        print(f"{name:28} {statistics.median(got):8.2f}   [{each}]")
    saved = statistics.median(figures["tenacity built every call"]) - statistics.median(
        figures["RetryAfterMiddleware"]
    )
    print(f"{'saved per call':28} {saved:8.2f}   ({7 * saved / 3:.1f} us per update of the flow)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.rounds))
