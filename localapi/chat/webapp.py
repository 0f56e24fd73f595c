"""Init data for a Mini App opened from the chat page, signed as Telegram signs it.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app:
the secret key is HMAC-SHA256 of the bot token keyed with "WebAppData"; the
hash is HMAC-SHA256 of the sorted ``key=value`` lines under that key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode


def sign_init_data(bot_token: str, user: dict[str, Any], auth_date: int | None = None) -> str:
    fields = {
        "auth_date": str(auth_date or int(time.time())),
        "query_id": "AAH" + secrets.token_urlsafe(12),
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
    }
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def launch_url(url: str, init_data: str) -> str:
    """The URL a Telegram client opens: the app's address, init data in the fragment."""
    fragment = urlencode(
        {"tgWebAppData": init_data, "tgWebAppVersion": "8.0", "tgWebAppPlatform": "web"}
    )
    return f"{url.split('#', 1)[0]}#{fragment}"
