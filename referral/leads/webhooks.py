"""Partner webhooks: Standard Webhooks signed POSTs from an outbox, retried.

A delivery row is written in the same transaction as the lead's move, so an
event is never lost and never made twice (``event_key`` is unique). Its
``message_id`` is the ``webhook-id`` of every attempt, so the receiver dedupes
a retry of a delivery it already took (after a SIGKILL between its 200 and our
commit, say). Retries follow the spec's schedule (5 s, 5 min, 30 min, 2 h,
5 h, 10 h, 10 h) with +-10 % jitter; a 410 disables the endpoint; every
attempt is a row the partner can read.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from referral.errors import DomainError
from referral.leads.delivery import Event
from referral.leads.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

SPEC_SCHEDULE = tuple(
    timedelta(seconds=s) for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
)
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


class InvalidWebhookUrl(DomainError):
    """A webhook URL must be http(s)://host[:port]/..."""


@dataclass(frozen=True)
class AttemptView:
    delivery_id: int
    message_id: str
    event_type: str
    number: int
    status_code: int | None
    error: str | None
    at: datetime


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


@dataclass(frozen=True)
class _Claimed:
    id: int
    endpoint_id: int
    url: str
    secret: str
    message_id: str
    payload: str
    number: int


class WebhookOutbox:
    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        *,
        schedule: Sequence[timedelta] = SPEC_SCHEDULE,
        jitter: float = 0.1,
        timeout: float = 10.0,
        batch: int = 50,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.db = db
        self.schedule, self.jitter, self.timeout = tuple(schedule), jitter, timeout
        self.batch, self.rng = batch, rng

    async def set_endpoint(self, company_id: int, url: str, now: datetime | None = None) -> str:
        """Point the company's webhook at ``url`` with a new signing secret (returned once)."""
        if not url.startswith(("https://", "http://")) or len(url) > 2000 or " " in url:
            raise InvalidWebhookUrl(f"not an http(s) URL: {url!r}")
        now = now or datetime.now(UTC)
        secret = new_secret()
        async with self.db.begin() as session:
            row = await session.scalar(
                select(WebhookEndpoint).where(WebhookEndpoint.company_id == company_id)
            )
            if row is None:
                session.add(
                    WebhookEndpoint(company_id=company_id, url=url, secret=secret, created_at=now)
                )
            else:
                row.url, row.secret, row.disabled_at = url, secret, None
        return secret

    async def enqueue(self, session: AsyncSession, event: Event, now: datetime) -> bool:
        """Queue ``event`` for the company's live endpoint, in the caller's transaction."""
        return await enqueue_event(session, event, now)

    async def drain(self, now: datetime | None = None) -> int:
        """POST every due delivery once (concurrently); returns attempts made."""
        claimed = await self._claim(now or datetime.now(UTC))
        if not claimed:
            return 0
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            results = await asyncio.gather(*(self._post(http, c) for c in claimed))
        for claim, (status, error) in zip(claimed, results, strict=True):
            await self._settle(claim, status, error, datetime.now(UTC))
        return len(claimed)

    async def _claim(self, now: datetime) -> list[_Claimed]:
        # Moving next_attempt_at past the POST's timeout is the claim: another
        # drainer skips the row, and a drainer killed mid-POST leaves it due again.
        async with self.db.begin() as session:
            rows = (
                await session.execute(
                    select(WebhookDelivery, WebhookEndpoint.url, WebhookEndpoint.secret)
                    .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                    .where(
                        WebhookDelivery.status == PENDING,
                        WebhookDelivery.next_attempt_at <= now,
                        WebhookEndpoint.disabled_at.is_(None),
                    )
                    .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True, of=WebhookDelivery)
                )
            ).all()
            claimed = []
            for delivery, url, secret in rows:
                delivery.attempts += 1
                delivery.next_attempt_at = now + timedelta(seconds=2 * self.timeout + 5)
                claimed.append(
                    _Claimed(
                        delivery.id,
                        delivery.endpoint_id,
                        url,
                        secret,
                        delivery.message_id,
                        delivery.payload,
                        delivery.attempts,
                    )
                )
        return claimed

    async def _post(
        self, http: aiohttp.ClientSession, claim: _Claimed
    ) -> tuple[int | None, str | None]:
        signed_at = datetime.now(UTC)  # the receiver checks this against its clock
        headers = {
            "content-type": "application/json",
            "webhook-id": claim.message_id,
            "webhook-timestamp": str(int(signed_at.timestamp())),
            "webhook-signature": Webhook(claim.secret).sign(
                claim.message_id, signed_at, claim.payload
            ),
        }
        try:
            async with http.post(claim.url, data=claim.payload.encode(), headers=headers) as reply:
                await reply.read()
                return reply.status, None
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            return None, f"{type(error).__name__}: {error}"[:200]

    async def _settle(
        self, claim: _Claimed, status: int | None, error: str | None, now: datetime
    ) -> None:
        async with self.db.begin() as session:
            session.add(
                WebhookAttempt(
                    delivery_id=claim.id,
                    number=claim.number,
                    status_code=status,
                    error=error,
                    at=now,
                )
            )
            values: dict[str, object]
            if status is not None and 200 <= status < 300:
                values = {"status": DELIVERED}
            elif status == 410:  # Gone: the partner turned the endpoint off
                values = {"status": FAILED}
                await session.execute(
                    update(WebhookEndpoint)
                    .where(WebhookEndpoint.id == claim.endpoint_id)
                    .values(disabled_at=now)
                )
                log.info("webhook endpoint %s answered 410: disabled", claim.endpoint_id)
            elif claim.number > len(self.schedule):
                values = {"status": FAILED}
            else:
                delay = self.schedule[claim.number - 1].total_seconds()
                delay *= 1 + self.jitter * (2 * self.rng() - 1)
                values = {"next_attempt_at": now + timedelta(seconds=delay)}
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == claim.id, WebhookDelivery.status == PENDING)
                .values(**values)
            )

    async def attempts_of(self, company_id: int, limit: int = 50) -> list[AttemptView]:
        """The company's latest attempts, newest first: what the partner sees."""
        async with self.db() as session:
            rows = (
                await session.execute(
                    select(
                        WebhookDelivery.id,
                        WebhookDelivery.message_id,
                        WebhookDelivery.event_type,
                        WebhookAttempt.number,
                        WebhookAttempt.status_code,
                        WebhookAttempt.error,
                        WebhookAttempt.at,
                    )
                    .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
                    .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                    .where(WebhookEndpoint.company_id == company_id)
                    .order_by(WebhookAttempt.id.desc())
                    .limit(limit)
                )
            ).all()
        return [AttemptView(*row) for row in rows]

    async def endpoint_disabled(self, company_id: int) -> bool:
        async with self.db() as session:
            disabled = await session.scalar(
                select(WebhookEndpoint.disabled_at).where(WebhookEndpoint.company_id == company_id)
            )
        return disabled is not None


async def enqueue_event(session: AsyncSession, event: Event, now: datetime) -> bool:
    """Queue ``event`` for the company's live endpoint, in the caller's transaction."""
    endpoint = await session.scalar(
        select(WebhookEndpoint.id).where(
            WebhookEndpoint.company_id == event.company_id,
            WebhookEndpoint.disabled_at.is_(None),
        )
    )
    if endpoint is None:
        return False
    exists = await session.scalar(
        select(WebhookDelivery.id).where(WebhookDelivery.event_key == event.key)
    )
    if exists is not None:
        return False
    body = {"type": event.type, "timestamp": now.isoformat(), "data": event.data}
    session.add(
        WebhookDelivery(
            endpoint_id=endpoint,
            message_id="msg_" + secrets.token_urlsafe(18),
            event_key=event.key,
            event_type=event.type,
            payload=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return True
