"""Telegram's HTML parse mode: turn marked-up text into plain text and entities.

Strict like Telegram, so a bot that forgets to escape `<` in user input
fails in tests with the same "can't parse entities" error it would get live.
Lenient where Telegram is: a bare `&` or an unknown `&name;` stays as text.
"""

from __future__ import annotations

import html
import re
from typing import Any

from .updates import utf16_len

ENTITY_OF_TAG = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "span": "spoiler",
}
TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>|<|&(#\d+|#x[0-9a-fA-F]+|\w+);|&")
ATTR = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))""")
KNOWN_ENTITIES = {"lt", "gt", "amp", "quot"}


class MarkupError(ValueError):
    pass


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, entities); raise MarkupError as Telegram would refuse."""
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, int, dict[str, Any]]] = []
    offset = 0  # in UTF-16 units
    pos = 0
    for match in TOKEN.finditer(source):
        chunk = source[pos : match.start()]
        out.append(chunk)
        offset += utf16_len(chunk)
        pos = match.end()
        token = match.group(0)
        byte_at = len(source[: match.start()].encode())
        if token == "<":
            raise MarkupError(f"Unsupported start tag at byte offset {byte_at}")
        if token.startswith("&"):
            name = match.group(4)
            if name is None or (not name.startswith("#") and name not in KNOWN_ENTITIES):
                # Telegram leaves unknown &entities; as text, but a bare & is fine too.
                text = token
            else:
                text = html.unescape(token)
            out.append(text)
            offset += utf16_len(text)
            continue
        closing, tag, attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
        if tag not in ENTITY_OF_TAG:
            raise MarkupError(f'Unsupported start tag "{tag}" at byte offset {byte_at}')
        if not closing:
            stack.append((tag, offset, _attributes(attrs)))
            continue
        if not stack or stack[-1][0] != tag:
            expected = stack[-1][0] if stack else ""
            raise MarkupError(
                f'Unmatched end tag at byte offset {byte_at}, expected "</{expected}>", '
                f'found "</{tag}>"'
            )
        _, start, attributes = stack.pop()
        if offset > start:
            entities.append(_entity(tag, start, offset - start, attributes))
    if stack:
        raise MarkupError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    tail = source[pos:]
    out.append(tail)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _attributes(raw: str) -> dict[str, Any]:
    return {
        m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
        for m in ATTR.finditer(raw)
    }


def _entity(tag: str, start: int, length: int, attributes: dict[str, Any]) -> dict[str, Any]:
    entity: dict[str, Any] = {"type": ENTITY_OF_TAG[tag], "offset": start, "length": length}
    if tag == "a":
        entity["url"] = attributes.get("href", "")
    elif tag == "pre" and "language" in attributes:
        entity["language"] = attributes["language"]
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attributes.get("emoji-id", "")
    elif tag == "blockquote" and "expandable" in attributes:
        entity["type"] = "expandable_blockquote"
    return entity
