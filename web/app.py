"""The one HTTP app: every feature's router mounted on one FastAPI.

FastAPI because the API is typed: request and response models validate what
partners send and generate the OpenAPI document (/api/v1/openapi.json) that
partners' CRMs and our schemathesis run read.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable

from fastapi import APIRouter, FastAPI

from refbot.services import Services
from web.api import cards, catalog, leads, purchases, stats
from web.crm import routes as crm_routes
from web.errors import install_error_handlers
from web.limits import BodyLimit
from web.ratelimit import key_rates
from web.workspace import ROUTERS as WORKSPACE_ROUTERS

API_PREFIX = "/api/v1"

# The CRM API's routers, mounted under API_PREFIX.
API_ROUTERS: tuple[APIRouter, ...] = (
    purchases.router,
    catalog.router,
    stats.router,
    cards.router,
    leads.router,
)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await app.state.key_rates.close()  # the Redis connections, when the rate is shared


def build_http_app(services: Services, *, extra_routers: Iterable[APIRouter] = ()) -> FastAPI:
    """The app for ``services``; ``extra_routers`` carry their own full prefixes
    (/api/v1/..., /app/..., /crm/...)."""
    app = FastAPI(
        title="refbot partner API",
        version="1",
        description=(
            "A partner company's CRM talks to refbot: purchases, catalogue, statistics, "
            "client cards and leads. Every request carries `Authorization: Bearer <key>` "
            "(`refbot apikey create`); one key speaks for one company."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.services = services
    settings = services.settings
    # Shared by every process through Redis when REDIS_URL is set (web/ratelimit.py).
    app.state.key_rates = key_rates(settings.redis_url, settings.api_rate_per_minute)
    install_error_handlers(app)
    app.add_middleware(BodyLimit)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    for router in WORKSPACE_ROUTERS:  # the Mini App at /app/ and its data at /app/api
        app.include_router(router)
    app.include_router(crm_routes.router)
    for router in extra_routers:
        app.include_router(router)
    return app
