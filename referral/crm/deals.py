"""A deal as refbot reads it from either CRM: open, won or lost, amount, member code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

OPEN, WON, LOST = "open", "won", "lost"


class CrmRateLimited(Exception):
    """The CRM answered with its rate-limit error (Bitrix24's 503 QUERY_LIMIT_EXCEEDED,
    amoCRM's 429): the call is retried with backoff."""


@dataclass(frozen=True)
class DealState:
    external_id: str
    state: str  # OPEN, WON or LOST
    amount_minor: int
    member_code: str | None
    closed_at: datetime | None
    source_lead_id: str | None = None  # Bitrix24: the CRM lead the deal was converted from


@dataclass(frozen=True)
class CreatedItem:
    """What a delivered lead became in the CRM: a ``deal`` (followed) or a Bitrix24 ``lead``."""

    entity: str
    external_id: str


class CrmUnavailable(Exception):
    """The CRM's API did not answer usably (after its rate-limit waits): try again later."""


class CrmRefused(CrmUnavailable):
    """The CRM refused the request itself (a 4xx other than its rate limit: a bad
    field, a revoked webhook or token): the same request will be refused again,
    so retrying waits for nothing until someone fixes the connection."""


class CrmOddAnswer(CrmUnavailable):
    """The CRM answered success in a shape we cannot read (not JSON, no id): maybe
    a hiccup, maybe for good; worth a few tries, not forever."""
