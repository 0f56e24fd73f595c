"""The Bot API session's 429 handling: wait what Telegram asks, a bounded number of times."""

from __future__ import annotations

import logging

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import SendMessage

from bot.errors import RetryAfterMiddleware

METHOD = SendMessage(chat_id=1, text="hi")


def _answers(*retry_afters: int):  # type: ignore[no-untyped-def]
    """A make_request that answers 429 with each retry_after in turn, then succeeds."""
    calls: list[int] = []

    async def make_request(bot, method):  # type: ignore[no-untyped-def]
        calls.append(len(calls))
        if len(calls) <= len(retry_afters):
            raise TelegramRetryAfter(method, "Too Many Requests", retry_afters[len(calls) - 1])
        return "sent"

    return make_request, calls


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def retrying(slept):  # type: ignore[no-untyped-def]
    """The middleware with a sleep that records instead of waiting."""

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return lambda **limits: RetryAfterMiddleware(**limits, sleep=sleep)


async def test_each_429_is_waited_out_for_the_seconds_telegram_asks(retrying, slept):
    make_request, calls = _answers(3, 1)
    assert await retrying()(make_request, None, METHOD) == "sent"
    assert len(calls) == 3 and slept == [3, 1]


async def test_a_429_after_the_last_attempt_reaches_the_caller(retrying, slept):
    make_request, calls = _answers(1, 1, 1)
    with pytest.raises(TelegramRetryAfter):
        await retrying(attempts=3)(make_request, None, METHOD)
    assert len(calls) == 3 and slept == [1, 1]


async def test_a_wait_longer_than_the_limit_is_not_taken(retrying, slept):
    make_request, calls = _answers(120)
    with pytest.raises(TelegramRetryAfter):
        await retrying(max_wait=60)(make_request, None, METHOD)
    assert len(calls) == 1 and slept == []


@pytest.mark.parametrize("attempts", [1, 2, 4])
async def test_attempts_counts_every_call_the_first_included(retrying, slept, attempts):
    make_request, calls = _answers(*[2] * 10)
    with pytest.raises(TelegramRetryAfter):
        await retrying(attempts=attempts)(make_request, None, METHOD)
    assert len(calls) == attempts and slept == [2] * (attempts - 1)


async def test_a_429_on_the_last_allowed_call_but_one_still_succeeds(retrying, slept):
    make_request, calls = _answers(1)
    assert await retrying(attempts=2)(make_request, None, METHOD) == "sent"
    assert len(calls) == 2 and slept == [1]


async def test_other_errors_are_not_retried(retrying, slept):
    calls: list[int] = []

    async def make_request(bot, method):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise TelegramBadRequest(method, "Bad Request: chat not found")

    with pytest.raises(TelegramBadRequest):
        await retrying()(make_request, None, METHOD)
    assert len(calls) == 1 and slept == []


async def test_each_wait_is_logged_with_the_method_and_the_seconds(retrying, caplog):
    make_request, _ = _answers(3, 1)
    with caplog.at_level(logging.WARNING, logger="bot.errors"):
        await retrying()(make_request, None, METHOD)
    assert [r.getMessage() for r in caplog.records] == [
        "429 on SendMessage; retrying in 3.0s",
        "429 on SendMessage; retrying in 1.0s",
    ]
