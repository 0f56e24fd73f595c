"""What a host tells the chat page: who may chat, where they can be, what they can scan.

The demo fills it from its own network; the page itself knows nothing of refbot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..updates import FakeUser


@dataclass(frozen=True)
class Visitor:
    """One chat the person at the page can switch to (a consumer, a partner admin...)."""

    key: str
    user: FakeUser
    title: dict[str, str]  # language code -> label on the switch
    hints: dict[str, tuple[str, ...]] = field(default_factory=dict)  # things to try


@dataclass(frozen=True)
class Place:
    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class QrCode:
    """A partner's printed QR code: scanning it opens the bot with this start payload."""

    label: str
    payload: str


@dataclass(frozen=True)
class ChatPage:
    title: str
    visitors: tuple[Visitor, ...]
    places: tuple[Place, ...] = ()
    qr_codes: tuple[QrCode, ...] = ()
    # The host's part of the page's language switch. The switch itself changes
    # the language_code of the visitor's next updates, as a Telegram client's
    # setting would; a bot that stored a language of its own (refbot keeps a
    # member's) is told here, so the switch reaches it too.
    on_language: Callable[[FakeUser, str], Awaitable[None]] | None = field(
        default=None, compare=False, repr=False
    )

    def visitor(self, key: str) -> Visitor | None:
        return next((v for v in self.visitors if v.key == key), None)

    def public(self) -> dict[str, Any]:
        """What the page may read: no token, no secret, only names and ids."""
        return {
            "title": self.title,
            "visitors": [
                {
                    "key": v.key,
                    "id": v.user.id,
                    "first_name": v.user.first_name,
                    "language_code": v.user.language_code,
                    "title": v.title,
                    "hints": {k: list(h) for k, h in v.hints.items()},
                }
                for v in self.visitors
            ],
            "places": [asdict(p) for p in self.places],
            "qr_codes": [asdict(q) for q in self.qr_codes],
        }
