"""PHP-style form bodies, as Bitrix24 and amoCRM post them: ``data[FIELDS][ID]=7``.

Both CRMs are PHP applications and send ``application/x-www-form-urlencoded``
with bracketed keys; this turns them into nested dicts (a ``[]`` or a number
as a key stays a dict key: callers read ``["0"]``).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

_PART = re.compile(r"\[([^\[\]]*)\]")
MAX_DEPTH = 6


class MalformedForm(ValueError):
    """A form-encoded body that does not parse into bracketed keys."""


def parse_form(body: bytes) -> dict:
    """Nested dict of a urlencoded body; MalformedForm for what no CRM sends."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedForm(f"not a urlencoded form: {error}") from None
    tree: dict = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head, *_PART.findall("[" + rest)] if rest else [head]
        if not head or len(parts) > MAX_DEPTH:
            raise MalformedForm(f"unexpected key {key[:60]!r}")
        node = tree
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise MalformedForm(f"key {key[:60]!r} is both a value and a group")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise MalformedForm(f"key {key[:60]!r} is both a value and a group")
        node[parts[-1]] = value
    return tree
