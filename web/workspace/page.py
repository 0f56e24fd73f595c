"""The page itself: /app/ and its static files, shipped inside the package.

Only the files in ``static/`` (and ``static/vendor/``) are served, by name
from a fixed list taken at start, so a path can never reach outside them.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from referral.analytics.access import CompanyHidden

STATIC = Path(__file__).resolve().parent / "static"
MEDIA_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".txt": "text/plain",
}
FILES = {
    path.relative_to(STATIC).as_posix(): path
    for path in STATIC.rglob("*")
    if path.is_file() and path.suffix in MEDIA_TYPES
}

router = APIRouter(prefix="/app")


@router.get("", include_in_schema=False)
async def app_root() -> RedirectResponse:
    return RedirectResponse("/app/")


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(
        STATIC / "index.html", media_type="text/html", headers={"Cache-Control": "no-cache"}
    )


@router.get("/static/{name:path}", include_in_schema=False)
async def static_file(name: str) -> FileResponse:
    path = FILES.get(name)
    if path is None:
        raise CompanyHidden(f"no file {name}")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix] + "; charset=utf-8")
