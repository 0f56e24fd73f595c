"""Who is calling: the company an API key speaks for.

Routes take ``company: Caller = Depends(api_company)``; a route never checks a
key itself (the purchase routes take ``api_company_rechecked_in_route`` and hand
the key to the domain, which checks revocation inside the purchase's own query).
Every accepted request spends one of the key's rate allowance.
"""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from refbot.services import Services
from referral.apikeys import ApiKeyRefused, Caller

# auto_error=False: a missing header is our 401 with our error body, not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="A key from `refbot apikey create`.")


def services_of(request: Request) -> Services:
    return request.app.state.services


async def _caller(
    request: Request, credentials: HTTPAuthorizationCredentials | None, recheck_later: bool
) -> Caller:
    if credentials is None:
        raise ApiKeyRefused("missing API key: send Authorization: Bearer <key>")
    caller = await services_of(request).apikeys.authenticate(
        credentials.credentials, recheck_later=recheck_later
    )
    await request.app.state.key_rates.take(caller.key_id)
    return caller


async def api_company(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> Caller:
    """The key read on every request: revoked anywhere, refused at once."""
    return await _caller(request, credentials, recheck_later=False)


async def api_company_rechecked_in_route(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> Caller:
    """For a route whose domain call checks revocation in its own transaction
    (``referral.apikeys.key_alive``): the key's read is spared for a few seconds."""
    return await _caller(request, credentials, recheck_later=True)
