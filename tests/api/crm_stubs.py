"""The CRMs' APIs played on 127.0.0.1, rate-limit answers included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

from tests.api.crm_fixtures import BITRIX24_LIMITED
from tests.net import free_port


@dataclass
class CrmStub:
    """Deals by id; the next ``limited`` calls answer the CRM's rate-limit error."""

    deals: dict[str, dict] = field(default_factory=dict)
    limited: int = 0
    calls: list[str] = field(default_factory=list)
    url: str = ""
    token: str = "amo-long-lived-token"

    def _limited(self) -> bool:
        if self.limited > 0:
            self.limited -= 1
            return True
        return False

    async def bitrix24(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls.append(method)
        if self._limited():
            return web.json_response(BITRIX24_LIMITED, status=503)
        body = await request.json()
        deal = self.deals.get(str(body.get("id")))
        if method != "crm.deal.get.json" or deal is None:
            return web.json_response(
                {"error": "NOT_FOUND", "error_description": "Not found"}, status=400
            )
        return web.json_response({"result": deal, "time": {"start": 1764500000.1}})

    async def amocrm(self, request: web.Request) -> web.Response:
        self.calls.append("leads")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"title": "Unauthorized", "status": 401}, status=401)
        if self._limited():
            return web.Response(status=429)
        wanted = request.query.getall("filter[id][]", [])
        leads = [self.deals[deal_id] for deal_id in wanted if deal_id in self.deals]
        if not leads:
            return web.Response(status=204)
        return web.json_response({"_page": 1, "_embedded": {"leads": leads}})


@asynccontextmanager
async def crm_stub() -> AsyncIterator[CrmStub]:
    stub = CrmStub()
    app = web.Application()
    app.router.add_post("/rest/1/{key}/{method}", stub.bitrix24)
    app.router.add_get("/api/v4/leads", stub.amocrm)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stub.url = f"http://127.0.0.1:{port}"
    try:
        yield stub
    finally:
        await runner.cleanup()
