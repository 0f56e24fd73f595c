"""What refbot's Bot API session (bot/session.py, bot/errors.py) adds to every
call, each piece beside how it worked before, in the same run.

    python bench/bench_session_calls.py [--calls 50000] [--rounds 5]

1. RetryAfterMiddleware on a call that succeeds, beside a bare call and beside
   tenacity's AsyncRetrying built for every call (the middleware before its
   fast path). The request is an awaitable that returns at once, so the
   figures are the middleware's own CPU time.
2. The JSON body of an offer message (text, parse mode from the bot's
   defaults, an Accept / Not interested keyboard): JsonBodySession.json_body
   beside the same body built from the full dump, None fields included (its
   shape before), checked equal first.

The flow of bench/bench_offers.py makes 7 Bot API calls per 3 updates
(multiply a per-call saving by 2.33 for one per update), 4 of them offer-like
sendMessages per /offers. Medians over --rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiogram import Bot  # noqa: E402
from aiogram.client.default import DefaultBotProperties  # noqa: E402
from aiogram.enums import ParseMode  # noqa: E402
from aiogram.methods import SendMessage  # noqa: E402
from tenacity import (  # noqa: E402
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)

from bot.errors import RetryAfterMiddleware  # noqa: E402
from bot.keyboards.offers import offer_keyboard  # noqa: E402
from bot.session import JsonBodySession, build_session  # noqa: E402
from bot.texts import texts_for  # noqa: E402

METHOD = SendMessage(chat_id=1, text="hi")


async def answered(bot, method):  # type: ignore[no-untyped-def]
    return True


async def bare(make_request, bot, method):  # type: ignore[no-untyped-def]
    return await make_request(bot, method)


def _what_telegram_asks(state: RetryCallState) -> float:
    assert state.outcome is not None
    return float(state.outcome.exception().retry_after)  # type: ignore[union-attr]


def _log_retry(state: RetryCallState) -> None:
    seconds = state.next_action.sleep if state.next_action else 0
    print(f"429; retrying in {seconds}s")


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


def full_dump_body(session: JsonBodySession, bot: Bot, method: SendMessage) -> dict:
    """The baseline: json_body as it was, every field dumped, None ones too."""
    body = {}
    for key, value in method.model_dump(warnings=False).items():
        prepared = session.prepare_value(value, bot=bot, files={}, _dumps_json=False)
        if prepared is not None and prepared != "":
            body[key] = prepared
    return body


def us_per_body(build, calls: int) -> float:  # type: ignore[no-untyped-def]
    began = time.process_time()
    for _ in range(calls):
        build()
    return 1e6 * (time.process_time() - began) / calls


def print_rows(figures: dict[str, list[float]]) -> None:
    for name, got in figures.items():
        each = ", ".join(f"{g:.2f}" for g in got)
        print(f"{name:28} {statistics.median(got):8.2f}   [{each}]")


async def bodies(calls: int, rounds: int) -> None:
    session = build_session("http://127.0.0.1:9")  # never connected: bodies only
    bot = Bot("1:bench", session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    texts = texts_for("ru")
    method = SendMessage(
        chat_id=7_000_000_001,
        text="<b>Капучино</b> — Кофейня\nЦена: 120 ₽\nПочему: популярно среди участников.",
        reply_markup=offer_keyboard(texts, 12345),
    )
    assert session.json_body(bot, method, {}) == full_dump_body(session, bot, method)
    ways = {
        "full dump (before)": lambda: full_dump_body(session, bot, method),
        "json_body": lambda: session.json_body(bot, method, {}),
    }
    figures: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, build in ways.items():
            figures[name].append(us_per_body(build, calls // 5))
    print(f"JSON body of an offer message, {calls // 5} a round; CPU us per body, median [rounds]")
    print_rows(figures)
    saved = statistics.median(figures["full dump (before)"]) - statistics.median(
        figures["json_body"]
    )
    print(f"{'saved per body':28} {saved:8.2f}   ({4 * saved / 3:.1f} us per update of the flow)")
    await session.close()


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
    print_rows(figures)
    saved = statistics.median(figures["tenacity built every call"]) - statistics.median(
        figures["RetryAfterMiddleware"]
    )
    print(f"{'saved per call':28} {saved:8.2f}   ({7 * saved / 3:.1f} us per update of the flow)")
    print()
    await bodies(calls, rounds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.rounds))
