"""Bitrix24: its outgoing webhook in, `crm.deal.get` through the partner's incoming webhook.

The outgoing webhook posts ``event=ONCRMDEALUPDATE``, ``data[FIELDS][ID]``,
``ts`` and ``auth[application_token]`` form-encoded
(https://apidocs.bitrix24.com/api-reference/crm/deals/events/on-crm-deal-update.html);
it carries only the deal's id, so the deal is read back
(https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-get.html): its
STAGE_SEMANTIC_ID is S for a won stage, F for a lost one, P in progress.
Past the portal's request rate Bitrix24 answers 503 with QUERY_LIMIT_EXCEEDED
(https://apidocs.bitrix24.ru/limits.html): waited out and retried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from referral.crm.deals import LOST, OPEN, WON, CrmRateLimited, CrmUnavailable, DealState
from referral.crm.forms import MalformedForm
from referral.ledger.csvfile import parse_money

DEAL_EVENTS = ("ONCRMDEALUPDATE", "ONCRMDEALADD")
_ID = re.compile(r"^\d{1,18}$")


class MalformedEvent(MalformedForm):
    """The call's form lacks a field this CRM always sends, or has one of the wrong shape."""


@dataclass(frozen=True)
class DealEvent:
    event: str
    deal_id: str
    ts: str
    application_token: str


def parse_event(form: dict) -> DealEvent:
    """The parts refbot uses; MalformedEvent when a part is missing or odd."""
    try:
        event = str(form["event"]).upper()
        deal_id = form["data"]["FIELDS"]["ID"]
        token = form["auth"]["application_token"]
    except (KeyError, TypeError):
        raise MalformedEvent(
            "event, data[FIELDS][ID] and auth[application_token] expected"
        ) from None
    ts = form.get("ts", "")
    if not isinstance(deal_id, str) or not _ID.match(deal_id):
        raise MalformedEvent("data[FIELDS][ID] must be a deal id")
    if not isinstance(token, str) or not isinstance(ts, str) or len(ts) > 20:
        raise MalformedEvent("auth[application_token] and ts must be text")
    return DealEvent(event, deal_id, ts, token)


class Bitrix24Portal:
    """The partner's portal through its incoming webhook URL (…/rest/<user>/<key>/)."""

    def __init__(self, webhook_url: str, *, backoff: float = 1.0, attempts: int = 6) -> None:
        self.webhook_url = webhook_url
        self.backoff = backoff
        self.attempts = attempts

    async def call(self, method: str, params: dict) -> dict:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type((CrmRateLimited, httpx.TransportError)),
            wait=wait_exponential(multiplier=self.backoff, max=30 * self.backoff),
            stop=stop_after_attempt(self.attempts),
            reraise=True,
        )
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                async for attempt in retrying:
                    with attempt:
                        response = await http.post(f"{self.webhook_url}{method}.json", json=params)
                        if response.status_code == 503 and "QUERY_LIMIT_EXCEEDED" in response.text:
                            raise CrmRateLimited()
                        response.raise_for_status()
                        return response.json()
        except (CrmRateLimited, httpx.HTTPError, ValueError) as error:
            raise CrmUnavailable(f"Bitrix24 {method}: {type(error).__name__}") from None
        raise AssertionError("unreachable")

    async def deal(self, deal_id: str, member_field: str) -> DealState:
        found = (await self.call("crm.deal.get", {"id": deal_id})).get("result") or {}
        semantic = found.get("STAGE_SEMANTIC_ID")
        state = {"S": WON, "F": LOST}.get(semantic, OPEN)
        member = found.get(member_field)
        if isinstance(member, list):
            member = member[0] if member else None
        return DealState(
            external_id=deal_id,
            state=state,
            amount_minor=_kopecks(found.get("OPPORTUNITY")),
            member_code=str(member).strip().lower() or None if member else None,
            closed_at=_time(found.get("CLOSEDATE")),
        )


def _kopecks(value: object) -> int:
    try:
        return parse_money(str(value or "0"))
    except ValueError:
        return 0


def _time(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
