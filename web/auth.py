"""Who is calling: the company an API key speaks for.

Routes take ``company: Caller = Depends(api_company)``; a route never checks a
key itself. Every accepted request spends one of the key's rate allowance.
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


async def api_company(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> Caller:
    if credentials is None:
        raise ApiKeyRefused("missing API key: send Authorization: Bearer <key>")
    caller = await services_of(request).apikeys.authenticate(credentials.credentials)
    await request.app.state.key_rates.take(caller.key_id)
    return caller
