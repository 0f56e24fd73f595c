"""The CRMs' APIs played on 127.0.0.1, rate-limit answers included.

Bitrix24 answers as its REST documentation shows: crm.deal.get and crm.deal.list
(https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-list.html),
crm.settings.mode.get (1 classic, 2 simple:
https://dev.1c-bitrix.ru/rest_help/crm/mode/crm_settings_mode_get.php),
crm.item.list and crm.item.add
(https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-add.html):
``{"result": {"item": {...}}}``. amoCRM: /api/v4/leads (``filter[id][]``,
``query``, ``limit``, ``page``, ``order[id]``, ``_links.next``; 204 when nothing
is found: https://www.amocrm.ru/developers/content/crm_platform/leads-api) and
/api/v4/leads/complex, which answers a list of ``{"id", "contact_id",
"company_id", "request_id": [...], "merged"}``
(https://developers.kommo.com/reference/complex-leads). The Bitrix24 filter
keys are the crm.item.* camelCase field names with the ``=`` (exact) prefix
(crm-item-list.md, object-fields.md in github.com/bitrix24/b24restdocs).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

from tests.api.crm_fixtures import BITRIX24_LIMITED
from tests.net import free_port

TIME = {"time": {"start": 1764500000.1, "finish": 1764500000.2}}
# A 400 each CRM gives a creation naming a field the account lacks (error shapes:
# https://apidocs.bitrix24.com/error-codes.html; amoCRM's problem+json body).
BITRIX24_BAD_FIELD = {
    "error": "INVALID_ARG_VALUE",
    "error_description": "Field UF_CRM_REFBOT is not found",
}
AMOCRM_BAD_FIELD = {
    "title": "Bad Request",
    "type": "https://httpstatus.es/400",
    "status": 400,
    "detail": "Request validation failed",
    "validation-errors": [{"request_id": "0", "errors": [{"code": "NotSupportedChoice"}]}],
}


@dataclass
class CrmStub:
    """Deals by id; the next ``limited`` calls answer the CRM's rate-limit error,
    the next ``down`` calls a plain ``down_status`` (500), and the next
    ``lose_answers`` creations are stored but answered 500 (the CRM took it; we
    never learned). The next ``refused`` creations are refused with a 400 for an
    unknown field, as each CRM words it; the next ``odd`` creations answer 200
    without the new item's id. A CRM named in ``outage`` ("bitrix24", "amocrm")
    answers ``down_status`` to every call until it is taken out."""

    deals: dict[str, dict] = field(default_factory=dict)
    limited: int = 0
    down: int = 0
    down_status: int = 500
    outage: set[str] = field(default_factory=set)
    lose_answers: int = 0
    refused: int = 0
    odd: int = 0
    mode: int = 1  # Bitrix24: 1 classic (with leads), 2 simple (deals only)
    items: dict[int, dict] = field(default_factory=dict)  # created: id -> fields
    created: list[dict] = field(default_factory=list)  # every creation body received
    calls: list[str] = field(default_factory=list)
    url: str = ""
    token: str = "amo-long-lived-token"

    def _limited(self) -> bool:
        if self.limited > 0:
            self.limited -= 1
            return True
        return False

    def _down(self, crm: str) -> bool:
        if crm in self.outage:
            return True
        if self.down > 0:
            self.down -= 1
            return True
        return False

    def _refused(self) -> bool:
        refused = self.refused > 0
        self.refused -= refused
        return refused

    def _odd(self) -> bool:
        odd = self.odd > 0
        self.odd -= odd
        return odd

    def _store(self, fields: dict) -> tuple[int, bool]:
        """A new item's id, and whether its answer is to be lost."""
        self.created.append(fields)
        item_id = 7000 + len(self.items)
        self.items[item_id] = fields
        lost = self.lose_answers > 0
        self.lose_answers -= lost
        return item_id, lost

    async def bitrix24(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].removesuffix(".json")
        self.calls.append(f"{method}.json")
        if self._limited():
            return web.json_response(BITRIX24_LIMITED, status=503)
        if self._down("bitrix24"):
            return web.Response(status=self.down_status, text="Server Error")
        body = await request.json()
        if method == "crm.deal.get" and str(body.get("id")) in self.deals:
            return web.json_response({"result": self.deals[str(body["id"])], **TIME})
        if method == "crm.deal.list":
            wanted = body.get("filter") or {}
            found = [
                deal
                for deal in self.deals.values()
                if str(deal.get("ID")) in map(str, wanted.get("@ID", []))
                or str(deal.get("LEAD_ID")) in map(str, wanted.get("@LEAD_ID", []))
            ]
            return web.json_response({"result": found, "total": len(found), **TIME})
        if method == "crm.settings.mode.get":
            return web.json_response({"result": self.mode, **TIME})
        if method == "crm.item.list":
            wanted = body.get("filter") or {}
            found = [
                {"id": item_id}
                for item_id, fields in self.items.items()
                if fields.get("entityTypeId") == body.get("entityTypeId")
                and fields.get("originatorId") == wanted.get("=originatorId")
                and fields.get("originId") == wanted.get("=originId")
            ]
            return web.json_response({"result": {"items": found}, "total": len(found), **TIME})
        if method == "crm.item.add" and self._refused():
            return web.json_response(BITRIX24_BAD_FIELD, status=400)
        if method == "crm.item.add" and self._odd():
            return web.json_response({"result": {}, **TIME})
        if method == "crm.item.add":
            item_id, lost = self._store({"entityTypeId": body["entityTypeId"], **body["fields"]})
            if lost:
                return web.Response(status=500, text="Internal Server Error")
            return web.json_response({"result": {"item": {"id": item_id, **body["fields"]}}})
        return web.json_response(
            {"error": "NOT_FOUND", "error_description": "Not found"}, status=400
        )

    def _amo_refused(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"title": "Unauthorized", "status": 401}, status=401)
        if self._limited():
            return web.Response(status=429)
        if self._down("amocrm"):
            return web.Response(status=self.down_status)
        return None

    async def amocrm(self, request: web.Request) -> web.Response:
        self.calls.append("leads")
        refused = self._amo_refused(request)
        if refused is not None:
            return refused
        wanted = request.query.getall("filter[id][]", [])
        leads = [self.deals[deal_id] for deal_id in wanted if deal_id in self.deals]
        if "query" in request.query:  # a search over the deals' filled fields
            leads = [
                {"id": item_id, **fields}
                for item_id, fields in self.items.items()
                if request.query["query"] in fields.get("name", "")
            ]
        # Pages as amoCRM gives them: ``limit`` at most 250 (50 unless asked, as
        # amocrm-api-php's PagesFilterTrait asks), ``page`` from 1, ``order[id]``,
        # and ``_links.next`` while there are more.
        newest_first = request.query.get("order[id]") == "desc"
        leads.sort(key=lambda lead: int(lead.get("id") or 0), reverse=newest_first)
        limit = min(int(request.query.get("limit", 50)), 250)
        page = int(request.query.get("page", 1))
        shown = leads[(page - 1) * limit : page * limit]
        if not shown:
            return web.Response(status=204)
        links = {"self": {"href": str(request.url)}}
        if page * limit < len(leads):
            links["next"] = {"href": str(request.url.update_query(page=page + 1))}
        return web.json_response({"_page": page, "_links": links, "_embedded": {"leads": shown}})

    async def amocrm_complex(self, request: web.Request) -> web.Response:
        self.calls.append("leads/complex")
        refused = self._amo_refused(request)
        if refused is not None:
            return refused
        if self._refused():
            return web.json_response(AMOCRM_BAD_FIELD, status=400)
        if self._odd():
            return web.json_response([])
        answer = []
        for position, lead in enumerate(await request.json()):
            item_id, lost = self._store(lead)
            if lost:
                return web.Response(status=500)
            answer.append(
                {
                    "id": item_id,
                    "contact_id": None,
                    "company_id": None,
                    "request_id": [str(position)],
                    "merged": False,
                }
            )
        return web.json_response(answer)


@asynccontextmanager
async def crm_stub() -> AsyncIterator[CrmStub]:
    stub = CrmStub()
    app = web.Application()
    app.router.add_post("/rest/1/{key}/{method}", stub.bitrix24)
    app.router.add_get("/api/v4/leads", stub.amocrm)
    app.router.add_post("/api/v4/leads/complex", stub.amocrm_complex)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stub.url = f"http://127.0.0.1:{port}"
    try:
        yield stub
    finally:
        await runner.cleanup()
