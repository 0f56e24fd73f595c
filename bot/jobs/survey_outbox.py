"""Drains the survey outbox from the running bot (an APScheduler job).

Pace: one token of an aiolimiter bucket per send, ``BROADCAST_RATE`` a second
with a burst of at most a tenth of that (so no one-second window exceeds 1.1 x
the rate, under Telegram's 30 at the default 25), and at most one message a
second per chat. A 429 pauses every slot for retry_after.

The drainer has its own Bot session *without* RetryAfterMiddleware: that
middleware waits a 429 out inside one call, which would hide it from the
other slots (they would keep sending into the flood limit). Here a 429
releases the row (nothing was sent) and pauses the whole outbox.
See referral/surveys/outbox.py for the exactly-once rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from datetime import timedelta

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiolimiter import AsyncLimiter

from bot.jobs.periodic import Periodic
from bot.keyboards.surveys import question_message
from bot.texts import texts_for
from referral.members import MemberService
from referral.surveys.outbox import (
    SETTLE_IN_DOUBT,
    SETTLE_RELEASE,
    SETTLE_RETRY,
    SETTLE_SENT,
    SETTLE_UNREACHABLE,
    Claim,
    Outbox,
    Outcome,
)
from referral.surveys.service import SurveyService
from referral.surveys.views import Step, SurveyView

log = logging.getLogger(__name__)


def bulk_bot(token: str, api_url: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


class SurveyDrainer:
    def __init__(
        self,
        outbox: Outbox,
        surveys: SurveyService,
        members: MemberService,
        bot: Bot,
        *,
        rate: float,
        concurrency: int = 4,
        per_chat_interval: float = 1.0,
        request_timeout: int = 10,
        worker: str | None = None,
    ) -> None:
        self.outbox, self.surveys, self.members, self.bot = outbox, surveys, members, bot
        self.rate = rate
        # A bucket of a tenth of a second's sends: with room for one token only,
        # every late wake-up of the event loop is a send lost for good (measured:
        # ~95% of the rate on an idle loop, less on a busy one), while a tenth
        # keeps any one-second window under 1.1 x rate (27 at 25/s: Telegram allows 30).
        self.burst = max(1, int(rate // 10))
        self.limiter = AsyncLimiter(self.burst, self.burst / rate)
        self.concurrency = concurrency
        self.per_chat_interval = per_chat_interval
        self.request_timeout = request_timeout
        self.worker = worker or f"{os.uname().nodename}:{os.getpid()}:{secrets.token_hex(3)}"
        self.paused_until = 0.0
        self.last_to_chat: dict[int, float] = {}
        self.stats = {
            "sent": 0,
            "429": 0,
            "unreachable": 0,
            "retried": 0,
            "in_doubt": 0,
            "commits": 0,
        }
        self._views: dict[int, SurveyView] = {}
        self._progress_shown: dict[int, str] = {}
        self._stopping = False
        self._idle = asyncio.Event()
        self._idle.set()

    async def stop(self, timeout: float = 15.0) -> None:
        """Let the running drain finish its sends and settle them, then start no more.

        Called when the bot shuts down, so a drain is not cancelled halfway
        (which would leave rows in the crash window for no reason).
        """
        self._stopping = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)

    async def drain(self, budget: float = 50.0) -> int:
        """Send what is due until nothing is or ``budget`` seconds pass; returns sends.

        Each slot takes a rate-limit token first and only then asks for a row, so
        a row is claimed when it is about to go (see outbox.py). One writer does
        all the database work as group commits: whatever claims were asked for
        and outcomes came in since its last commit go into its next transaction,
        so a busy outbox needs far fewer commits than two per message, and an
        idle one still settles each row as soon as its answer arrives.
        """
        if self._stopping:
            return 0
        self._idle.clear()
        try:
            return await self._drain(budget)
        finally:
            self._idle.set()

    async def _drain(self, budget: float) -> int:
        await self.outbox.expire()
        before = self.stats["sent"]
        deadline = time.monotonic() + budget
        self._asks: list[asyncio.Future[Claim | None]] = []
        self._outcomes: list[Outcome] = []
        self._work = asyncio.Event()
        self._slots_done = False
        writer = asyncio.create_task(self._writer())
        try:
            await asyncio.gather(*(self._slot(deadline) for _ in range(self.concurrency)))
        finally:
            # The writer settles what is left, then stops; cancelled only if we are.
            self._slots_done = True
            self._work.set()
            try:
                await writer
            finally:
                writer.cancel()
        return self.stats["sent"] - before

    async def _writer(self) -> None:
        while True:
            await self._work.wait()
            self._work.clear()
            asks, self._asks = self._asks, []
            outcomes, self._outcomes = self._outcomes, []
            if not asks and not outcomes:
                if self._slots_done:
                    return
                continue
            try:
                claims = await self.outbox.settle_and_claim(self.worker, outcomes, len(asks))
                self.stats["commits"] += 1
            except BaseException:
                for ask in asks:  # the slots stop; this drain ends with the error
                    ask.set_result(None)
                raise
            for i, ask in enumerate(asks):
                ask.set_result(claims[i] if i < len(claims) else None)
            self._work.set()  # look again: more may have come in during the commit

    async def _slot(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        while time.monotonic() < deadline and not self._stopping:
            while (wait := self.paused_until - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            await self.limiter.acquire()
            if self.paused_until > time.monotonic():
                continue  # a 429 arrived while this slot waited for its token
            ask: asyncio.Future[Claim | None] = loop.create_future()
            self._asks.append(ask)
            self._work.set()
            claim = await ask
            if claim is None:
                return
            # Rows go out in id order, so a chat rarely comes up twice in a second.
            gap = (
                self.last_to_chat.get(claim.chat_id, 0.0)
                + self.per_chat_interval
                - time.monotonic()
            )
            if gap > 0:
                await asyncio.sleep(gap)
            outcome = await self._send(claim)
            # Not `self._outcomes.append(await ...)`: that binds the list before the
            # await, and the writer may have swapped it for a new one meanwhile.
            self._outcomes.append(outcome)
            self._work.set()

    async def _send(self, claim: Claim) -> Outcome:
        """Send one question; the outcome says what Telegram's answer proved."""
        try:
            view = self._views.get(claim.survey_id) or await self.surveys.get(claim.survey_id)
            self._views[claim.survey_id] = view
            text, markup = question_message(
                texts_for(claim.language or "ru"), Step(view, claim.position)
            )
            self.last_to_chat[claim.chat_id] = time.monotonic()
            await self.bot.send_message(
                claim.chat_id, text, reply_markup=markup, request_timeout=self.request_timeout
            )
        except TelegramRetryAfter as error:
            self.stats["429"] += 1
            self.paused_until = max(self.paused_until, time.monotonic() + error.retry_after)
            log.warning("outbox: 429, pausing all sends for %ss", error.retry_after)
            return Outcome(claim, SETTLE_RELEASE)
        except TelegramForbiddenError as error:
            self.stats["unreachable"] += 1
            await self.members.set_reachable(claim.chat_id, False)
            return Outcome(claim, SETTLE_UNREACHABLE, error.message)
        except TelegramNetworkError as error:
            if "ClientConnectorError" in error.message:  # never connected: nothing was sent
                self.stats["retried"] += 1
                return Outcome(claim, SETTLE_RETRY, error.message)
            # the request may have reached Telegram: the crash window, never resent
            self.stats["in_doubt"] += 1
            return Outcome(claim, SETTLE_IN_DOUBT, error.message)
        except TelegramAPIError as error:
            self.stats["retried"] += 1
            return Outcome(claim, SETTLE_RETRY, error.message)
        except Exception as error:  # noqa: BLE001 - a bug must not stall the outbox
            log.exception("outbox: delivery %s failed", claim.delivery_id)
            self.stats["retried"] += 1
            return Outcome(claim, SETTLE_RETRY, f"{type(error).__name__}: {error}")
        self.stats["sent"] += 1
        return Outcome(claim, SETTLE_SENT)

    async def refresh_progress(self, render) -> None:  # type: ignore[no-untyped-def]
        """Edit each watched survey's progress message when its counts changed."""
        for survey_id, chat_id, message_id, language in await self.surveys.watched():
            text = render(texts_for(language), survey_id, await self.surveys.progress(survey_id))
            if self._progress_shown.get(survey_id) == text:
                continue
            with contextlib.suppress(TelegramBadRequest, TelegramRetryAfter, TelegramNetworkError):
                await self.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
                self._progress_shown[survey_id] = text


def schedule_survey_jobs(scheduler, services) -> SurveyDrainer:  # type: ignore[no-untyped-def]
    """The outbox drain (every second, one run at a time) and progress edits."""
    from bot.keyboards.surveys import progress_text

    settings = services.settings
    drainer = SurveyDrainer(
        services.outbox,
        services.surveys,
        services.members,
        bulk_bot(settings.require_token(), settings.telegram_api_url),
        rate=settings.broadcast_rate,
    )
    services.survey_drainer = drainer  # closed with the services
    scheduler.add_job(
        drainer.drain,
        "interval",
        seconds=1,
        id="survey-outbox",
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
    scheduler.add_job(
        drainer.refresh_progress,
        "interval",
        seconds=2,
        args=[progress_text],
        id="survey-progress",
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
    return drainer


def survey_jobs(services) -> list[Periodic]:  # type: ignore[no-untyped-def]
    """Rewards a crash left uncredited: once per tick across processes."""
    return [Periodic("survey-rewards", services.survey_answers.credit_missed, timedelta(minutes=1))]
