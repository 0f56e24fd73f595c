"""One HTTP client recipe for both CRM connectors.

``httpx.AsyncClient()`` builds a fresh SSL context each time: about 40 ms of
CPU here, spent in the event loop that answers the CRMs' webhooks. The context
is built once and shared (it is safe to share between clients).
"""

from __future__ import annotations

import ssl
from functools import cache

import certifi
import httpx

from referral.crm.deals import CrmRateLimited

TIMEOUT = 10.0


@cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())  # httpx's own default trust


def crm_client(**options: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=TIMEOUT, verify=_tls(), **options)  # type: ignore[arg-type]


def error_body(response: httpx.Response) -> dict:
    """The CRM's JSON error object, or {} when the answer is not one (an HTML
    error page, a list): both CRMs put their reason in such an object."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def unavailable_reason(error: Exception) -> str:
    """What a CRM that could not be used answered, as `refbot crm list` shows it:
    the HTTP status, or what went wrong on the way there."""
    if isinstance(error, httpx.HTTPStatusError):
        response = error.response
        return f"{response.status_code} {response.reason_phrase}".strip()
    if isinstance(error, httpx.TimeoutException):
        return f"no answer within {TIMEOUT:g} s"
    if isinstance(error, CrmRateLimited):
        return "still over its rate limit after the waits"
    if isinstance(error, httpx.ConnectError):
        return "could not connect"
    return type(error).__name__
