"""A partner's API keys: one company per key, stored hashed, shown once.

A key reads ``rbk_<public id>_<secret>``. The public id (``k`` and 10 hex
digits) names the key in `refbot apikey list` and `apikey revoke`; only the
SHA-256 of the whole key is stored. A key carries 192 random bits, so a slow
password hash would add nothing but milliseconds to every request: a fast
digest compared in constant time is the right tool here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from referral.companies import by_code
from referral.db import Base, BigId
from referral.errors import DomainError
from referral.models import Company

PREFIX = "rbk"
_KEY = re.compile(r"^rbk_(k[0-9a-f]{10})_([A-Za-z0-9_-]{32})$")


class ApiKeyRefused(DomainError):
    """A missing, malformed, unknown or revoked key (the caller learns no more than that)."""


class UnknownApiKey(DomainError):
    """`apikey revoke` with an id no key has."""


class InvalidKeyName(DomainError):
    """A key name refbot will not store (too long)."""


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(11), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class KeyInfo:
    public_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class Caller:
    """Who an accepted key speaks for."""

    key_id: str
    company_id: int
    company_code: str


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# How long an accepted key is trusted without reading it again, by a caller
# that checks revocation itself inside its own transaction (the purchase write
# path rides it on a query it runs anyway: ``key_alive``); every other caller
# reads the key on each request, so a revocation anywhere counts at once.
TRUST_SECONDS = 5.0


def key_alive(public_id: str):  # type: ignore[no-untyped-def]
    """True while the key is not revoked, as a scalar to ride along with another query."""
    return (
        select(ApiKey.id).where(ApiKey.public_id == public_id, ApiKey.revoked_at.is_(None)).exists()
    )


class ApiKeyService:
    def __init__(
        self, db: async_sessionmaker[AsyncSession], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.db = db
        self.clock = clock
        # digest -> (caller, until): spares every request of a busy CRM a read.
        self._trusted: dict[str, tuple[Caller, float]] = {}

    async def create(self, company_code: str, name: str = "") -> tuple[KeyInfo, str]:
        """A new key for the company: its description and the key itself (never stored)."""
        name = name.strip() or "default"
        if len(name) > 100:
            raise InvalidKeyName("the key name is longer than 100 characters")
        public_id = "k" + secrets.token_hex(5)
        key = f"{PREFIX}_{public_id}_{secrets.token_urlsafe(24)}"
        async with self.db.begin() as session:
            company = await by_code(session, company_code)
            row = ApiKey(
                public_id=public_id,
                company_id=company.id,
                name=name,
                secret_hash=_digest(key),
                created_at=datetime.now(UTC),
            )
            session.add(row)
        return _info(row), key

    async def list(self, company_code: str) -> list[KeyInfo]:
        async with self.db() as session:
            company = await by_code(session, company_code)
            rows = await session.scalars(
                select(ApiKey).where(ApiKey.company_id == company.id).order_by(ApiKey.id)
            )
            return [_info(row) for row in rows]

    async def revoke(self, public_id: str) -> KeyInfo:
        """Revoke a key; revoking one already revoked keeps its first time."""
        async with self.db.begin() as session:
            row = await session.scalar(select(ApiKey).where(ApiKey.public_id == public_id))
            if row is None:
                raise UnknownApiKey(f"no API key with id {public_id!r}")
            row.revoked_at = row.revoked_at or datetime.now(UTC)
        self._trusted = {
            digest: trusted
            for digest, trusted in self._trusted.items()
            if trusted[0].key_id != public_id
        }
        return _info(row)

    async def authenticate(self, key: str, recheck_later: bool = False) -> Caller:
        """The company a presented key speaks for; ApiKeyRefused otherwise.
        ``recheck_later``: the caller checks revocation itself (``key_alive``) in
        its own transaction, so a key read a moment ago is trusted without a read."""
        match = _KEY.match(key)
        if match is None:
            raise ApiKeyRefused("malformed API key")
        digest = _digest(key)
        trusted = self._trusted.get(digest)
        if recheck_later and trusted is not None and trusted[1] > self.clock():
            return trusted[0]
        async with self.db() as session:
            found = (
                await session.execute(
                    select(ApiKey.secret_hash, ApiKey.revoked_at, Company.id, Company.code)
                    .join(Company, Company.id == ApiKey.company_id)
                    .where(ApiKey.public_id == match.group(1))
                )
            ).first()
        # The digest is compared even when no row was found, so an unknown id and
        # a wrong secret cost the same time.
        stored = found.secret_hash if found else "0" * 64
        if not hmac.compare_digest(stored, digest) or found is None:
            raise ApiKeyRefused("unknown API key")
        if found.revoked_at is not None:
            raise ApiKeyRefused("revoked API key")
        caller = Caller(match.group(1), found.id, found.code)
        if len(self._trusted) > 10_000:  # keys are few; this only bounds a flood of them
            self._trusted.clear()
        self._trusted[digest] = (caller, self.clock() + TRUST_SECONDS)
        return caller


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(row.public_id, row.name, row.created_at, row.revoked_at)
