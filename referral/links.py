"""Signed deep-link payloads for company QR codes and personal invites.

Telegram allows at most 64 characters of ``A-Za-z0-9_-`` after ``?start=``.
A payload is ``c_<company>_<sig>`` or ``i_<company>_<inviter>_<sig>`` where
``sig`` is a truncated HMAC-SHA256 over the other fields, so an edited,
truncated or forged payload never parses as some other company.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from referral.errors import InvalidLink

MAX_PAYLOAD = 64
COMPANY_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,19}$")
PSEUDONYM = re.compile(r"^[a-z2-7]{10}$")
_SIG_BYTES = 9  # 72 bits: 12 base64url characters, far beyond guessing
_SIG_LEN = 12


@dataclass(frozen=True)
class LinkTarget:
    company_code: str
    inviter: str | None = None  # the inviting member's pseudonym


def _signature(secret: bytes, message: str) -> str:
    digest = hmac.new(secret, message.encode(), hashlib.sha256).digest()[:_SIG_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(target: LinkTarget, secret: bytes) -> str:
    if not COMPANY_CODE.match(target.company_code):
        raise InvalidLink(f"not a company code: {target.company_code!r}")
    if target.inviter is None:
        body = f"c_{target.company_code}"
    else:
        if not PSEUDONYM.match(target.inviter):
            raise InvalidLink(f"not a member pseudonym: {target.inviter!r}")
        body = f"i_{target.company_code}_{target.inviter}"
    payload = f"{body}_{_signature(secret, body)}"
    assert len(payload) <= MAX_PAYLOAD
    return payload


def parse(payload: str, secret: bytes) -> LinkTarget:
    """The target a payload names, or InvalidLink when it is not one we signed."""
    if not payload or len(payload) > MAX_PAYLOAD:
        raise InvalidLink("empty or too long")
    # The signature is base64url and may itself contain "_", so it is cut
    # by length, not by separator.
    body, sep, sig = (
        payload[: -_SIG_LEN - 1],
        payload[-_SIG_LEN - 1 : -_SIG_LEN],
        payload[-_SIG_LEN:],
    )
    if sep != "_" or not body:
        raise InvalidLink("no signature")
    if not hmac.compare_digest(sig, _signature(secret, body)):
        raise InvalidLink("bad signature")
    parts = body.split("_")
    if parts[0] == "c" and len(parts) == 2:
        return LinkTarget(parts[1])
    if parts[0] == "i" and len(parts) == 3:
        return LinkTarget(parts[1], inviter=parts[2])
    raise InvalidLink("unknown payload kind")


def deep_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"
