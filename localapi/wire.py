"""Reading Bot API parameters off the wire, the way Telegram accepts them.

aiogram posts multipart/form-data where every value is a string: numbers as
digits, objects (reply_markup, entities, commands, scope) as JSON text, and
files as parts referenced by "attach://<name>". Here they become plain Python.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, MultipartReader, web

Files = dict[str, tuple[str, bytes]]

# Fields whose value is text even when it looks like a number or JSON.
TEXT_FIELDS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "secret_token",
        "url",
        "query",
        "title",
        "description",
        "short_description",
        "name",
        "language_code",
        "parse_mode",
        "action",
        "payload",
        "emoji",
        "custom_emoji_id",
        "business_connection_id",
        "message_effect_id",
        "ip_address",
        "phone_number",
        "first_name",
        "last_name",
        "method",
    }
)
INTEGER = re.compile(r"^-?\d+$")
FLOAT = re.compile(r"^-?\d+\.\d*(e-?\d+)?$")


def decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in TEXT_FIELDS:
        return value
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value in ("true", "false"):
        return value == "true"
    if INTEGER.match(value):
        return int(value)
    if FLOAT.match(value):
        return float(value)
    return value


async def read_multipart(reader: MultipartReader) -> tuple[dict[str, Any], Files]:
    """Text parts become params, parts with a filename become uploads (by part name)."""
    params: dict[str, Any] = {}
    uploads: Files = {}
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is not None:
            uploads[part.name] = (part.filename, bytes(await part.read()))
        else:
            params[part.name] = (await part.read()).decode()
    return params, uploads


def attach(params: dict[str, Any], uploads: Files) -> tuple[dict[str, Any], Files]:
    """Decode values and key uploads by the parameter that names them (photo, document)."""
    decoded = {key: decode_value(key, value) for key, value in params.items()}
    files: Files = {}
    used: set[str] = set()
    for key, value in decoded.items():
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name in uploads:
                files[key] = uploads[name]
                used.add(name)
    # Parts sent straight under the parameter name, or referenced from inside JSON (media groups).
    for name, upload in uploads.items():
        if name not in used:
            files.setdefault(name, upload)
    return decoded, files


async def read_request(request: web.Request) -> tuple[dict[str, Any], Files]:
    params: dict[str, Any] = dict(request.query)
    uploads: Files = {}
    content_type = request.content_type
    if content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            # JSON bodies are already typed; still decode any string-encoded objects.
            params.update(body)
    elif content_type == "multipart/form-data":
        form, uploads = await read_multipart(await request.multipart())
        params.update(form)
    elif request.can_read_body:
        params.update(parse_qsl(await request.text(), keep_blank_values=True))
    return attach(params, uploads)
