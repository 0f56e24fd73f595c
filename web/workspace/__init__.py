"""The partner and marketer workspace: a Telegram Mini App at /app/, its data at /app/api/."""

from __future__ import annotations

from web.workspace.page import router as page_router
from web.workspace.routes import router as api_router

ROUTERS = (page_router, api_router)
