"""Every refusal as one JSON shape, one handler per error, each with its status.

The domain raises domain errors and knows nothing of HTTP; this module is the
one place that decides which status each gets. Nothing a caller sends may end
in a 500: malformed JSON and wrong types are 422, an unknown route 404, a body
past the limit 413.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from referral.analytics.access import AccessRefused, CompanyHidden
from referral.apikeys import ApiKeyRefused
from referral.errors import DomainError, NotFound
from referral.leads.service import OutcomeConflict
from referral.ledger.errors import InsufficientDeposit, InvalidBatch
from referral.ledger.purchase_reports import PurchaseIdReused

log = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(description="Where in the request: body, query, header ...")
    message: str


class Problem(BaseModel):
    """The body of every error response."""

    error: str = Field(description="A stable machine-readable code.")
    message: str = Field(description="What went wrong, in English.")
    fields: list[FieldProblem] = Field(
        default_factory=list, description="The failing fields (422 only)."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "error": "invalid_request",
                    "message": "1 field(s) failed validation",
                    "fields": [{"loc": ["body", "amount"], "message": "Field required"}],
                }
            ]
        }
    }


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many requests; retry in {retry_after} s")


def _response(
    status: int,
    error: str,
    message: str,
    fields: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(error=error, message=message, fields=fields or [])
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


async def _unauthorized(_: Request, error: Exception) -> JSONResponse:
    return _response(401, "unauthorized", str(error), headers={"WWW-Authenticate": "Bearer"})


async def _workspace_unauthorized(_: Request, error: Exception) -> JSONResponse:
    # The Mini Apps convention: the page sends `Authorization: tma <init data>`.
    return _response(401, "unauthorized", str(error), headers={"WWW-Authenticate": "tma"})


async def _not_found(_: Request, error: Exception) -> JSONResponse:
    return _response(404, "not_found", str(error))


async def _invalid_batch(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InvalidBatch)
    fields = [FieldProblem(loc=["body", *where], message=why) for where, why in error.problems]
    return _response(422, "invalid_items", str(error), fields)


async def _insufficient_deposit(_: Request, error: Exception) -> JSONResponse:
    return _response(409, "insufficient_deposit", str(error))


async def _purchase_id_reused(_: Request, error: Exception) -> JSONResponse:
    return _response(409, "purchase_id_reused", str(error))


async def _outcome_conflict(_: Request, error: Exception) -> JSONResponse:
    return _response(409, "outcome_conflict", str(error))


async def _refused(_: Request, error: Exception) -> JSONResponse:
    return _response(422, "refused", str(error))


def _part(part: object) -> str | int:
    return part if isinstance(part, int) else str(part)


async def _invalid_request(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    fields = [
        FieldProblem(loc=[_part(part) for part in item.get("loc", ())], message=item.get("msg", ""))
        for item in error.errors()
    ]
    return _response(422, "invalid_request", f"{len(fields)} field(s) failed validation", fields)


async def _rate_limited(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RateLimited)
    return _response(
        429, "rate_limited", str(error), headers={"Retry-After": str(error.retry_after)}
    )


_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


async def _http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400 and error.detail == "There was an error parsing the body":
        # FastAPI's answer to a body that is not even text (not UTF-8): a 422 like
        # any other unreadable body, so no route has to declare a 400 of its own.
        problem = FieldProblem(loc=["body"], message="the body is not UTF-8 JSON")
        return _response(422, "invalid_request", "the body could not be read", [problem])
    code = _HTTP_CODES.get(error.status_code, "http_error")
    headers = dict(error.headers or {})
    return _response(error.status_code, code, str(error.detail), headers=headers)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    # A bug, not a refusal: logged with its trace, the caller told no details.
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return _response(500, "internal", "internal error")


def install_error_handlers(app: FastAPI) -> None:
    handlers: dict[Any, Any] = {
        ApiKeyRefused: _unauthorized,
        NotFound: _not_found,
        AccessRefused: _workspace_unauthorized,
        CompanyHidden: _not_found,
        InvalidBatch: _invalid_batch,
        InsufficientDeposit: _insufficient_deposit,
        PurchaseIdReused: _purchase_id_reused,
        OutcomeConflict: _outcome_conflict,
        DomainError: _refused,
        RequestValidationError: _invalid_request,
        RateLimited: _rate_limited,
        StarletteHTTPException: _http_error,
        Exception: _unexpected,
    }
    for error, handler in handlers.items():
        app.add_exception_handler(error, handler)


def declared(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer."""
    return {status: {"model": Problem, "description": _DESCRIPTIONS[status]} for status in statuses}


_DESCRIPTIONS = {
    400: "The body could not be read as text at all (e.g. not UTF-8).",
    401: "Missing, wrong or revoked API key.",
    404: "No such id for this company (another company's ids read as absent).",
    409: "Refused: the deposit does not cover the rewards, a purchase id was reused, "
    "or a lead already has the other outcome.",
    413: "The body is larger than 1 MiB.",
    422: "The request failed validation; `fields` lists where.",
    429: "Past the key's rate; retry after `Retry-After` seconds.",
}

API_ERRORS = declared(400, 401, 413, 422, 429)
