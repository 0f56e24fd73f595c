"""Bitrix24: its outgoing webhook in, `crm.deal.get` through the partner's incoming webhook.

The outgoing webhook posts ``event=ONCRMDEALUPDATE``, ``data[FIELDS][ID]``,
``ts`` and ``auth[application_token]`` form-encoded
(https://apidocs.bitrix24.com/api-reference/crm/deals/events/on-crm-deal-update.html);
it carries only the deal's id, so the deal is read back
(https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-get.html; the
reconcile reads many with crm.deal.list filtered by ``@ID``,
https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-list.html): its
STAGE_SEMANTIC_ID is S for a won stage, F for a lost one, P in progress.
Past the portal's request rate (a leaky bucket per portal: 2 requests a second
drained, 50 allowed in a burst; Enterprise 5 and 250) Bitrix24 answers 503 with
QUERY_LIMIT_EXCEEDED (https://apidocs.bitrix24.com/limits.html, limits.md in
github.com/bitrix24/b24restdocs): waited out and retried. A method whose
accumulated time is over its limit answers 429 OPERATION_TIME_LIMIT (same page):
not a refusal, the push is tried again after a pause. Other errors
come as an HTTP status with ``{"error": CODE, "error_description": ...}``
(https://apidocs.bitrix24.com/error-codes.html): a 5xx or a limit/temporary code
is tried again later, any other 4xx (a bad field, a revoked webhook: 401/403)
is a refusal that ends the push as failed (referral/crm/outbound.py).

A delivered lead is created with the universal ``crm.item.add``
(https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-add.html;
``crm.lead.add``'s development stopped in favour of it:
https://apidocs.bitrix24.com/api-reference/crm/leads/crm-lead-add): a lead
(entityTypeId 1) on a classic portal, a deal (2) on one in simple mode, which
has no leads (``crm.settings.mode.get``
answers 1 classic, 2 simple:
https://dev.1c-bitrix.ru/rest_help/crm/mode/crm_settings_mode_get.php). The item
carries the refbot lead's id as ``originId`` under ``originatorId`` "refbot"
(both string fields of a lead and of a deal in crm.item.add's field tables:
"external source" and "item identifier in the external source"), so
``crm.item.list`` filtered by ``=originatorId`` and ``=originId``
(https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-list.html:
filter keys are the crm.item.* camelCase field names, ``=`` an exact match; the
two are standard fields of leads and deals in universal/object-fields.md; the
UPPER_CASE ORIGIN_ID belongs to crm.lead.*/crm.deal.*) finds an item created
before we could record it. Confirmed in github.com/bitrix24/b24restdocs
(api-reference/crm/universal/crm-item-add.md, crm-item-list.md,
object-fields.md) at 5988ed1; no page shows a filter on these two fields in an
example, and no live portal was asked. ``useOriginalUfNames: Y`` (same
crm.item.add page: Y original names like UF_CRM_2_1639669411830, N camelCase,
the default) lets the member field keep the UF_CRM_... code given at connect.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from referral.crm.deals import (
    LOST,
    OPEN,
    WON,
    CreatedItem,
    CrmOddAnswer,
    CrmRateLimited,
    CrmRefused,
    CrmUnavailable,
    DealState,
)
from referral.crm.forms import MalformedForm
from referral.crm.http import crm_client, error_body, unavailable_reason
from referral.leads.delivery import PartnerLead
from referral.ledger.csvfile import parse_money

DEAL_EVENTS = ("ONCRMDEALUPDATE", "ONCRMDEALADD")
LEAD_TYPE, DEAL_TYPE = 1, 2
CLASSIC_MODE = 1
ORIGINATOR = "refbot"
PAGE = 50  # crm.deal.list answers 50 a page: 50 ids a call is always one page
# Codes that say "later", whatever the status they come with (error-codes.html, limits.html).
TEMPORARY_CODES = frozenset(
    {
        "QUERY_LIMIT_EXCEEDED",
        "OVERLOAD_LIMIT",
        "OPERATION_TIME_LIMIT",
        "INTERNAL_SERVER_ERROR",
        "ERROR_UNEXPECTED_ANSWER",
    }
)
_ID = re.compile(r"^\d{1,18}$")


class HideWebhookKeys(logging.Filter):
    """httpx logs every request's URL at INFO, and a portal's incoming-webhook URL
    (…/rest/<user>/<key>/method.json) holds its key: the key is masked in the record."""

    _KEY = re.compile(r"(/rest/\d+/)[^/\s\"]+/")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._KEY.sub(r"\1***/", str(arg)) if "/rest/" in str(arg) else arg
                for arg in record.args
            )
        if isinstance(record.msg, str) and "/rest/" in record.msg:
            record.msg = self._KEY.sub(r"\1***/", record.msg)
        return True


# One instance: adding it again (a second import, a test's reload) is a no-op.
_HIDE_KEYS = HideWebhookKeys()
logging.getLogger("httpx").addFilter(_HIDE_KEYS)


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
        body: object = None
        try:
            async with crm_client() as http:
                async for attempt in retrying:
                    with attempt:
                        response = await http.post(f"{self.webhook_url}{method}.json", json=params)
                        if response.status_code == 503 and "QUERY_LIMIT_EXCEEDED" in response.text:
                            raise CrmRateLimited()
                        refusal = bitrix24_refusal(response)
                        if refusal:
                            raise CrmRefused(f"Bitrix24 {method}: {refusal}")
                        response.raise_for_status()
                        body = response.json()
        except (CrmRateLimited, httpx.HTTPError) as error:
            raise CrmUnavailable(f"Bitrix24 {method}: {unavailable_reason(error)}") from None
        except ValueError:
            raise CrmOddAnswer(f"Bitrix24 {method}: the answer is not JSON") from None
        if not isinstance(body, dict):
            raise CrmOddAnswer(f"Bitrix24 {method}: the answer is not an object")
        return body

    async def deal(self, deal_id: str, member_field: str) -> DealState:
        found = (await self.call("crm.deal.get", {"id": deal_id})).get("result") or {}
        return deal_state(found, member_field, deal_id)

    async def deals(self, ids: list[str], member_field: str, by: str = "ID") -> list[DealState]:
        """The deals whose ``by`` (ID, or LEAD_ID) is among ``ids``, 50 ids a crm.deal.list
        call (its page size; a converted lead has one deal)."""
        found: list[DealState] = []
        for start in range(0, len(ids), PAGE):
            page = ids[start : start + PAGE]
            params = {"filter": {f"@{by}": page}, "select": ["*", "UF_*"]}
            body = await self.call("crm.deal.list", params)
            found.extend(deal_state(deal, member_field) for deal in body.get("result") or [])
        return found

    async def create(self, lead: PartnerLead, member_field: str) -> CreatedItem:
        """The delivered lead as a CRM lead (a deal in simple mode): found, or made once."""
        mode = (await self.call("crm.settings.mode.get", {})).get("result")
        entity = LEAD_TYPE if str(mode) == str(CLASSIC_MODE) else DEAL_TYPE
        kind = "lead" if entity == LEAD_TYPE else "deal"
        origin = {"originatorId": ORIGINATOR, "originId": str(lead.id)}
        found = await self.call(
            "crm.item.list",
            {
                "entityTypeId": entity,
                "filter": {f"={key}": value for key, value in origin.items()},
                "select": ["id"],
            },
        )
        items = (found.get("result") or {}).get("items") or []
        if items:
            return CreatedItem(kind, str(items[0]["id"]))
        bands = ", ".join(
            f"{name}: {value}"
            for name, value in (
                ("age", lead.age_band),
                ("income", lead.income_band),
                ("region", lead.region),
            )
            if value
        )
        fields = {
            "title": f"{lead.service} · refbot {lead.id}",
            **origin,
            member_field: lead.member_code,
            "comments": f"refbot lead {lead.id}: {lead.service_code}. {bands}".strip(),
        }
        added = await self.call(
            "crm.item.add", {"entityTypeId": entity, "useOriginalUfNames": "Y", "fields": fields}
        )
        try:
            return CreatedItem(kind, str(added["result"]["item"]["id"]))
        except (KeyError, TypeError):
            raise CrmOddAnswer("Bitrix24 crm.item.add: no item in the answer") from None


def bitrix24_refusal(response: httpx.Response) -> str:
    """Why the portal refused for good ("" when it did not): a 4xx whose code is
    not a limit or temporary one; the reason is the status, code and description."""
    if not 400 <= response.status_code < 500 or response.status_code == 429:
        return ""
    body = error_body(response)
    code = str(body.get("error") or "")
    if code.upper() in TEMPORARY_CODES:
        return ""
    description = str(body.get("error_description") or "")
    return " ".join(part for part in (str(response.status_code), code, description) if part)


def deal_state(found: dict, member_field: str, deal_id: str = "") -> DealState:
    """A deal as crm.deal.get and crm.deal.list give it (upper-case field codes)."""
    member = found.get(member_field)
    if isinstance(member, list):
        member = member[0] if member else None
    return DealState(
        external_id=deal_id or str(found.get("ID") or ""),
        state={"S": WON, "F": LOST}.get(found.get("STAGE_SEMANTIC_ID"), OPEN),
        amount_minor=_kopecks(found.get("OPPORTUNITY")),
        member_code=str(member).strip().lower() or None if member else None,
        closed_at=_time(found.get("CLOSEDATE")),
        source_lead_id=str(found["LEAD_ID"]) if found.get("LEAD_ID") else None,
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
