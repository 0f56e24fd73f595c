"""Webhook delivery to a real receiver on 127.0.0.1: retried with the same
webhook-id until a 2xx, signed so `standardwebhooks` verifies it; a 410 turns
the endpoint off; every attempt is recorded for the partner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from aiohttp import web
from standardwebhooks.webhooks import Webhook

from referral.leads.delivery import Event
from referral.leads.webhooks import WebhookOutbox
from tests.leads.world import company_id
from tests.offers_world import seed


class Receiver:
    """Answers ``codes`` in turn (then 200), keeping every request it got."""

    def __init__(self, *codes: int) -> None:
        self.codes = list(codes)
        self.requests: list[tuple[dict[str, str], bytes]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.read()))
        return web.Response(status=self.codes.pop(0) if self.codes else 200)


@asynccontextmanager
async def serving(receiver: Receiver) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


async def queue_one(db, outbox: WebhookOutbox, company: int, now: datetime) -> None:
    async with db.begin() as session:
        event = Event(company, "lead.delivered:1", "lead.delivered", {"id": 1})
        assert await outbox.enqueue(session, event, now)
        assert not await outbox.enqueue(session, event, now)  # the same event once


async def test_three_failures_then_200_is_four_attempts_with_one_webhook_id(db):
    await seed(db)
    cafe = await company_id(db, "cafe")
    receiver = Receiver(500, 503, 502)
    outbox = WebhookOutbox(db, schedule=[timedelta(seconds=60)] * 7, jitter=0.1)
    async with serving(receiver) as url:
        secret = await outbox.set_endpoint(cafe, url)
        now = datetime.now(UTC)
        await queue_one(db, outbox, cafe, now)
        made = []
        for step in range(6):
            made.append(await outbox.drain(now + timedelta(seconds=100 * step)))
        assert await outbox.drain(now) == 0  # the next retry is not due yet
    assert made == [1, 1, 1, 1, 0, 0]
    ids = {headers["webhook-id"] for headers, _ in receiver.requests}
    assert len(receiver.requests) == 4 and len(ids) == 1
    for headers, body in receiver.requests:
        assert Webhook(secret).verify(body, headers)["data"] == {"id": 1}
    attempts = await outbox.attempts_of(cafe)
    assert [a.status_code for a in reversed(attempts)] == [500, 503, 502, 200]
    assert await outbox.attempts_of(await company_id(db, "gym")) == []


async def test_a_forged_signature_does_not_verify(db):
    await seed(db)
    cafe = await company_id(db, "cafe")
    receiver = Receiver()
    outbox = WebhookOutbox(db)
    async with serving(receiver) as url:
        await outbox.set_endpoint(cafe, url)
        await queue_one(db, outbox, cafe, datetime.now(UTC))
        await outbox.drain()
    [(headers, body)] = receiver.requests
    other = WebhookOutbox(db)
    try:
        Webhook(await other.set_endpoint(cafe, "http://127.0.0.1:9/x")).verify(body, headers)
    except Exception as error:  # noqa: BLE001 - the library's own verification error
        assert "signature" in str(error).lower()
    else:
        raise AssertionError("a new secret verified the old signature")


async def test_410_disables_the_endpoint_and_stops_retries(db):
    await seed(db)
    cafe = await company_id(db, "cafe")
    receiver = Receiver(410)
    outbox = WebhookOutbox(db, schedule=[timedelta(0)] * 7)
    async with serving(receiver) as url:
        await outbox.set_endpoint(cafe, url)
        now = datetime.now(UTC)
        await queue_one(db, outbox, cafe, now)
        assert await outbox.drain(now) == 1
        assert await outbox.drain(now + timedelta(hours=1)) == 0
    assert len(receiver.requests) == 1 and await outbox.endpoint_disabled(cafe)
    async with db.begin() as session:
        event = Event(cafe, "lead.delivered:2", "lead.delivered", {"id": 2})
        assert not await outbox.enqueue(session, event, now)  # nothing queued for it now


async def test_an_unreachable_receiver_is_retried_then_given_up(db):
    await seed(db)
    cafe = await company_id(db, "cafe")
    outbox = WebhookOutbox(db, schedule=[timedelta(0)] * 2, timeout=2)
    await outbox.set_endpoint(cafe, "http://127.0.0.1:9/nothing-listens")
    now = datetime.now(UTC)
    await queue_one(db, outbox, cafe, now)
    made = [await outbox.drain(now + timedelta(minutes=step)) for step in range(5)]
    assert made == [1, 1, 1, 0, 0]  # the first try and both retries of the schedule
    attempts = await outbox.attempts_of(cafe)
    assert all(a.status_code is None and a.error for a in attempts)
