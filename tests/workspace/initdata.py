"""Init data signed the way Telegram signs it for a Mini App (the algorithm of
core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app),
so tests open the workspace as Telegram would."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import quote, urlencode

TOKEN = "123456:TEST-workspace-token-abcdefgh"
THEME_DARK = {
    "bg_color": "#18222d",
    "text_color": "#ffffff",
    "hint_color": "#b1c3d5",
    "link_color": "#62bcf9",
    "button_color": "#2ea6ff",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#131415",
}


def sign(
    user_id: int, language: str = "en", token: str = TOKEN, auth_date: float | None = None
) -> str:
    fields = {
        "query_id": "AAE-test",
        "user": json.dumps(
            {"id": user_id, "first_name": "Test", "language_code": language}, separators=(",", ":")
        ),
        "auth_date": str(int(auth_date if auth_date is not None else time.time())),
    }
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def launch_hash(init_data: str, theme: dict[str, str] | None = None) -> str:
    """The URL fragment Telegram opens a Mini App with."""
    parts = {"tgWebAppData": init_data, "tgWebAppVersion": "7.0", "tgWebAppPlatform": "tdesktop"}
    if theme:
        parts["tgWebAppThemeParams"] = json.dumps(theme, separators=(",", ":"))
    return "&".join(f"{key}={quote(value, safe='')}" for key, value in parts.items())
