"""Who may enter a handler. Role checks live here and nowhere else."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from referral.members import Identity


class HasRole(Filter):
    """Passes when the sender holds ``role`` (admins pass every role check but partner's)."""

    def __init__(self, role: str) -> None:
        self.role = role

    async def __call__(self, event: TelegramObject, identity: Identity | None = None) -> bool:
        return identity is not None and identity.roles.has(self.role)


class IsMember(Filter):
    """Passes when the sender has given current consent."""

    async def __call__(self, event: TelegramObject, identity: Identity | None = None) -> bool:
        return identity is not None and identity.member is not None


class HasAnyRole(Filter):
    """Passes when the sender holds at least one of ``roles``."""

    def __init__(self, *roles: str) -> None:
        self.roles = roles

    async def __call__(self, event: TelegramObject, identity: Identity | None = None) -> bool:
        return identity is not None and any(identity.roles.has(role) for role in self.roles)
