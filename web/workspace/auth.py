"""``webapp_staff``: who is calling the workspace API, from one header.

``Authorization: tma <init data>`` inside Telegram: the Mini App's init data,
its signature checked with aiogram's ``safe_parse_webapp_init_data`` against
BOT_TOKEN and its ``auth_date`` no older than WEBAPP_INIT_MAX_AGE (aiogram
checks the signature only). ``Authorization: session <token>`` in a desktop
browser, after the page exchanged a one-time `/workspace` link. Anything
else, or a user without a role, is a 401; roles then decide what is visible.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram.utils.web_app import safe_parse_webapp_init_data
from fastapi import Header, Request

from refbot.services import Services
from referral.analytics.access import AccessRefused, Staff

# A clock a little ahead on the client still signs a valid auth_date.
CLOCK_SKEW = timedelta(minutes=1)


def services_of(request: Request) -> Services:
    return request.app.state.services


def telegram_user(init_data: str, token: str, max_age: timedelta, now: datetime) -> tuple[int, str]:
    """(user id, language code) from signed, fresh init data; raises AccessRefused."""
    if not token:
        raise AccessRefused("the server has no BOT_TOKEN to check Telegram's signature with")
    try:
        data = safe_parse_webapp_init_data(token, init_data)
    except ValueError:  # a bad signature, or fields that are not what Telegram sends
        raise AccessRefused("the Telegram init data is not signed by this bot") from None
    signed_at = data.auth_date if data.auth_date.tzinfo else data.auth_date.replace(tzinfo=UTC)
    if signed_at < now - max_age or signed_at > now + CLOCK_SKEW:
        raise AccessRefused("the Telegram init data is expired: open the workspace again")
    if data.user is None:
        raise AccessRefused("the Telegram init data names no user")
    return data.user.id, (data.user.language_code or "ru")


async def webapp_staff(request: Request, authorization: str = Header(default="")) -> Staff:
    services = services_of(request)
    scheme, _, credential = authorization.partition(" ")
    scheme = scheme.lower()
    now = datetime.now(UTC)
    if scheme == "tma" and credential:
        max_age = timedelta(seconds=services.settings.webapp_init_max_age)
        user_id, language = telegram_user(
            credential.strip(), services.settings.bot_token, max_age, now
        )
    elif scheme == "session" and credential:
        user_id, language = await services.workspace_access.session_user(credential.strip(), now)
    else:
        raise AccessRefused("send Telegram's init data as `Authorization: tma <init data>`")
    return await services.workspace_access.staff(user_id, language)
