"""POST /crm/bitrix24/{token} and /crm/amocrm/{token}: a CRM's webhook, recorded and
answered at once; the deal is read back and settled in the background.

404 for a URL no connection has, 401 for a Bitrix24 call with another
application token, 422 for a body that is not such a webhook: each changes
nothing, and is logged (never the token, the body or a secret) as the call's record;
an accepted call's record is its crm_events row. The same call again answers
``duplicate`` and changes nothing. bench/bench_crm.py measures how long a CRM waits.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from refbot.services import Services
from referral.apikeys import ApiKeyRefused
from referral.crm import amocrm, bitrix24
from referral.crm.connections import Connection, UnknownConnection
from referral.crm.forms import MalformedForm, parse_form
from referral.errors import DomainError
from web.auth import services_of
from web.errors import declared

log = logging.getLogger(__name__)
T = TypeVar("T")
router = APIRouter(prefix="/crm", tags=["crm webhooks"])
ERRORS = declared(400, 401, 404, 413, 422)
# The token refbot printed at `crm connect`: a public id, "_", 32 random characters.
Token = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,80}$")]


class MalformedWebhook(DomainError):
    """A body that is not the CRM's webhook: answered 422 by web/errors.py."""


class Received(BaseModel):
    received: int = Field(description="Deal updates recorded by this call.")
    duplicate: int = Field(description="Deal updates this call repeated: nothing changed.")


def _spawn(services: Services, event_ids: list[int]) -> None:
    tasks: set[asyncio.Task[None]] = services.crm_tasks

    async def run(event_id: int) -> None:
        try:
            await services.crm_inbound.process(event_id)
        except Exception:  # the reconcile takes the event again
            log.exception("CRM event %s failed", event_id)

    for event_id in event_ids:
        task = asyncio.create_task(run(event_id))
        tasks.add(task)
        task.add_done_callback(tasks.discard)


async def _parsed(request: Request, kind: str, token: str, parse: Callable[[dict], T]):  # type: ignore[no-untyped-def]
    """The services, the connection the URL names (404 if none) and the parsed body (422)."""
    services = services_of(request)
    try:
        connection = await services.crm.by_token(kind, token)
    except UnknownConnection:
        # The token's first part is the connection's public id; the rest is never logged.
        log.warning("CRM %s call refused: no connection %s", kind, token.partition("_")[0][:11])
        raise
    try:
        return services, connection, parse(parse_form(await request.body()))
    except MalformedForm as error:
        log.warning("CRM %s call refused: %s", connection.public_id, error)
        raise MalformedWebhook(str(error)) from None


async def _record(
    services: Services, connection: Connection, updates: list[tuple[str, str]]
) -> Received:
    """Record each (event key, deal id) and read the new ones back in the background."""
    recorded = [await services.crm_inbound.record(connection, key, deal) for key, deal in updates]
    fresh = [event_id for event_id in recorded if event_id is not None]
    _spawn(services, fresh)
    return Received(received=len(fresh), duplicate=len(recorded) - len(fresh))


@router.post("/bitrix24/{token}", response_model=Received, responses=ERRORS)
async def bitrix24_event(request: Request, token: Token) -> Received:
    """Bitrix24's outgoing webhook (ONCRMDEALUPDATE, ONCRMDEALADD)."""
    services, connection, event = await _parsed(request, "bitrix24", token, bitrix24.parse_event)
    expected = connection.settings["application_token"]
    if not hmac.compare_digest(event.application_token.encode(), expected.encode()):
        log.warning("CRM %s call refused: wrong application token", connection.public_id)
        raise ApiKeyRefused("wrong application token")
    if event.event not in bitrix24.DEAL_EVENTS:
        return Received(received=0, duplicate=0)
    return await _record(services, connection, [(f"{event.deal_id}:{event.ts}", event.deal_id)])


@router.post("/amocrm/{token}", response_model=Received, responses=ERRORS)
async def amocrm_event(request: Request, token: Token) -> Received:
    """amoCRM's digital-pipeline webhook (leads[status][...])."""
    services, connection, changes = await _parsed(
        request, "amocrm", token, amocrm.parse_status_changes
    )
    updates = [(f"{change.deal_id}:{change.status_id}", change.deal_id) for change in changes]
    return await _record(services, connection, updates)
