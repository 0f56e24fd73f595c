"""amoCRM (Kommo): its digital-pipeline webhook in, `/api/v4/leads` read back.

The webhook posts form-encoded ``leads[status][0][id]``, ``[status_id]``,
``[pipeline_id]``, ``[old_status_id]`` ...
(https://www.amocrm.com/developers/content/digital_pipeline/dp-webhooks/). It
is not signed, so the URL's secret token is the proof, and it is sent once,
never retried: the reconcile (referral/crm/reconcile.py) reads open deals back.
Status 142 is amoCRM's "won" and 143 its "lost" in every pipeline. Past its
7 requests a second (https://developers.kommo.com/docs/limitations) the
API answers 429 (amocrm-api-php raises AmoCRMApiTooManyRequestsException on it):
waited out and retried. A 5xx or a timeout is tried again
later; any other 4xx (400 a bad field, 401 a revoked token, 402 an unpaid
account, 403) is a refusal that ends the push as failed (referral/crm/outbound.py).

A delivered lead is created with ``POST /api/v4/leads/complex``
(https://www.amocrm.ru/developers/content/crm_platform/leads-api#leads-complex-add):
a JSON list of leads, at most 50 a request, which answers a list of
``{"id", "contact_id", "company_id", "request_id": [...], "merged"}``
(https://developers.kommo.com/reference/complex-leads; amocrm/amocrm-api-php
src/AmoCRM/EntitiesServices/Leads.php, processComplexAction). We send one lead
a request; its name ends in "refbot <lead id>". Before creating,
``/api/v4/leads?query=`` (documented only as "a search over the entity's filled
fields", same leads-api page; how it matches is not documented) looks for one
created before we could record it. The search also matches other deals
("refbot 12" is in "refbot 120"), so its answer is read newest first
(``order[id]=desc``), 250 a page (the documented maximum ``limit``), following
``_links.next`` for up to LOOKUP_PAGES pages, and only a name ending in the
exact marker counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

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

WON_STATUS, LOST_STATUS = 142, 143
_ID = re.compile(r"^\d{1,18}$")
PAGE = 50  # ids per /api/v4/leads request in the reconcile, asked as its limit
SEARCH_LIMIT = 250  # the most /api/v4/leads answers a page (leads-api: "Максимум – 250")
LOOKUP_PAGES = 4  # search pages read for a lost creation: 1000 deals, 4 requests at most


class MalformedEvent(MalformedForm):
    """The call's form lacks a field this CRM always sends, or has one of the wrong shape."""


@dataclass(frozen=True)
class StatusChange:
    deal_id: str
    status_id: str


def parse_status_changes(form: dict) -> list[StatusChange]:
    """Every ``leads[status][i]`` entry; MalformedEvent if there are none or one is odd."""
    entries = (
        (form.get("leads") or {}).get("status") if isinstance(form.get("leads"), dict) else None
    )
    if not isinstance(entries, dict) or not entries:
        raise MalformedEvent("leads[status][...] expected")
    changes = []
    for entry in entries.values():
        if not isinstance(entry, dict):
            raise MalformedEvent("leads[status][i] must hold id and status_id")
        deal_id, status = entry.get("id"), entry.get("status_id")
        if not (isinstance(deal_id, str) and _ID.match(deal_id)):
            raise MalformedEvent("leads[status][i][id] must be a deal id")
        if not (isinstance(status, str) and _ID.match(status)):
            raise MalformedEvent("leads[status][i][status_id] must be a status id")
        changes.append(StatusChange(deal_id, status))
    return changes


class AmoCrmAccount:
    def __init__(
        self, api_base: str, token: str, *, backoff: float = 1.0, attempts: int = 6
    ) -> None:
        self.api_base = api_base
        self.token = token
        self.backoff = backoff
        self.attempts = attempts

    async def _get(self, path: str, params: list[tuple[str, str]]) -> dict:
        body = await self._call("GET", path, params=params)
        return body if isinstance(body, dict) else {}  # a list answers only leads/complex

    async def _call(self, method: str, path: str, **request: object) -> dict | list:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type((CrmRateLimited, httpx.TransportError)),
            wait=wait_exponential(multiplier=self.backoff, max=30 * self.backoff),
            stop=stop_after_attempt(self.attempts),
            reraise=True,
        )
        headers = {"Authorization": f"Bearer {self.token}"}
        body: dict | list = {}
        try:
            async with crm_client(headers=headers) as http:
                async for attempt in retrying:
                    with attempt:
                        response = await http.request(
                            method,
                            f"{self.api_base}{path}",
                            **request,  # type: ignore[arg-type]
                        )
                        if response.status_code == 429:
                            raise CrmRateLimited()
                        if response.status_code == 204:  # amoCRM's "nothing found"
                            return {}
                        if 400 <= response.status_code < 500:
                            raise CrmRefused(f"amoCRM {path}: {amocrm_refusal(response)}")
                        response.raise_for_status()
                        body = response.json()
        except (CrmRateLimited, httpx.HTTPError) as error:
            raise CrmUnavailable(f"amoCRM {path}: {unavailable_reason(error)}") from None
        except ValueError:
            raise CrmOddAnswer(f"amoCRM {path}: the answer is not JSON") from None
        return body

    async def deals(self, deal_ids: list[str], member_field_id: int) -> list[DealState]:
        found: list[DealState] = []
        for start in range(0, len(deal_ids), PAGE):
            page = deal_ids[start : start + PAGE]
            params = [("filter[id][]", deal_id) for deal_id in page]
            params.append(("limit", str(PAGE)))
            body = await self._get("api/v4/leads", params)
            for lead in (body.get("_embedded") or {}).get("leads") or []:
                found.append(_state(lead, member_field_id))
        return found

    async def create(self, lead: PartnerLead, member_field_id: int) -> CreatedItem:
        """The delivered lead as an amoCRM deal: found by its name's marker, or made once."""
        marker = f"refbot {lead.id}"
        name = f"{lead.service} · {marker}"
        existing_id = await self._created_before(marker)
        if existing_id:
            return CreatedItem("deal", existing_id)
        body = [
            {
                "name": name,
                "custom_fields_values": [
                    {"field_id": member_field_id, "values": [{"value": lead.member_code}]}
                ],
                "_embedded": {"tags": [{"name": "refbot"}]},
            }
        ]
        created = await self._call("POST", "api/v4/leads/complex", json=body)
        try:
            return CreatedItem("deal", str(created[0]["id"]))  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            raise CrmOddAnswer("amoCRM leads/complex: no id in the answer") from None

    async def _created_before(self, marker: str) -> str | None:
        """The id of the deal whose name ends in `` · <marker>``, if the search finds it."""
        for page in range(1, LOOKUP_PAGES + 1):
            params = [
                ("query", marker),
                ("order[id]", "desc"),  # a lost creation is recent: on the first pages
                ("limit", str(SEARCH_LIMIT)),
                ("page", str(page)),
            ]
            found = await self._get("api/v4/leads", params)
            for existing in (found.get("_embedded") or {}).get("leads") or []:
                if str(existing.get("name") or "").endswith(f" · {marker}"):
                    return str(existing["id"])
            if not (found.get("_links") or {}).get("next"):
                return None
        return None


def amocrm_refusal(response: httpx.Response) -> str:
    """The status with amoCRM's problem title and detail (its JSON error body)."""
    body = error_body(response)
    parts = (str(response.status_code), str(body.get("title") or ""), str(body.get("detail") or ""))
    return " ".join(part for part in parts if part)


def _state(lead: dict, member_field_id: int) -> DealState:
    status = lead.get("status_id")
    member = None
    for field in lead.get("custom_fields_values") or []:
        if field.get("field_id") == member_field_id and field.get("values"):
            member = str(field["values"][0].get("value") or "").strip().lower() or None
    closed = lead.get("closed_at")
    return DealState(
        external_id=str(lead.get("id")),
        state={WON_STATUS: WON, LOST_STATUS: LOST}.get(status, OPEN),
        amount_minor=int(lead.get("price") or 0) * 100,  # amoCRM prices are whole roubles
        member_code=member,
        closed_at=datetime.fromtimestamp(closed, UTC) if isinstance(closed, int) else None,
    )
