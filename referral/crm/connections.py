"""`refbot crm connect|list|disconnect`: a company's CRM connections.

Connecting prints, once, the URL the partner pastes into the CRM:
``/crm/<kind>/<token>``. The token names the connection (a public id) and
carries 192 random bits; only its digest is stored and compared in constant
time, so a guessed or edited URL finds nothing (amoCRM signs nothing, so this
token is all that proves a call came from the partner's account).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlparse

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.companies import by_code
from referral.crm.models import CrmConnection, CrmDeal, CrmEvent, CrmPush
from referral.crm.vault import SettingsVault, sealed_under
from referral.errors import DomainError, NotFound
from referral.ledger.catalogue_models import Service

KINDS = ("bitrix24", "amocrm")
_TOKEN = re.compile(r"^(c[0-9a-f]{10})_[A-Za-z0-9_-]{32}$")
_SUBDOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class InvalidConnection(DomainError):
    """Settings that cannot work: a URL not http(s), a malformed token or field code."""


class UnknownConnection(NotFound):
    """No connection behind an inbound URL, or none of that kind at the company."""


@dataclass(frozen=True)
class Connection:
    id: int
    public_id: str
    company_id: int
    kind: str
    settings: dict
    created_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _https(url: str, what: str) -> str:
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise InvalidConnection(f"{what} must be an http(s) URL")
    return url.strip().rstrip("/") + "/"


def bitrix24_settings(
    portal_webhook: str, application_token: str, member_field: str, service: str
) -> dict:
    if not re.fullmatch(r"[A-Za-z0-9]{8,64}", application_token):
        raise InvalidConnection("the application token is 8-64 letters and digits")
    if not re.fullmatch(r"UF_CRM_[A-Za-z0-9_]{1,50}", member_field):
        raise InvalidConnection("the member field is a deal field code like UF_CRM_REFBOT")
    return {
        "portal_webhook": _https(portal_webhook, "the portal's incoming webhook"),
        "application_token": application_token,
        "member_field": member_field,
        "service": service,
    }


def amocrm_settings(
    subdomain: str, token: str, member_field_id: int, service: str, api_base: str = ""
) -> dict:
    if not _SUBDOMAIN.match(subdomain):
        raise InvalidConnection("the subdomain is the NAME of NAME.amocrm.ru")
    if not token.strip() or len(token) > 2000:
        raise InvalidConnection("the token is the long-lived token of an amoCRM integration")
    return {
        "api_base": _https(api_base or f"https://{subdomain}.amocrm.ru", "the API address"),
        "token": token.strip(),
        "member_field_id": member_field_id,
        "service": service,
    }


class CrmConnections:
    def __init__(self, db: async_sessionmaker[AsyncSession], vault: SettingsVault) -> None:
        self.db = db
        self.vault = vault  # the secrets in ``settings`` are sealed with it at rest

    async def connect(self, company_code: str, kind: str, settings: dict) -> str:
        """Store (or replace) the company's connection of ``kind``; the URL path to paste."""
        if kind not in KINDS:
            raise InvalidConnection(f"kind must be one of {', '.join(KINDS)}")
        public_id = "c" + secrets.token_hex(5)
        token = f"{public_id}_{secrets.token_urlsafe(24)}"
        async with self.db.begin() as session:
            company = await by_code(session, company_code)
            service = await session.scalar(
                select(Service.id).where(
                    Service.company_id == company.id, Service.code == settings["service"]
                )
            )
            if service is None:
                raise InvalidConnection(
                    f"no service {settings['service']!r} in {company_code}'s catalogue"
                )
            await _drop(session, company.id, kind)
            session.add(
                CrmConnection(
                    public_id=public_id,
                    company_id=company.id,
                    kind=kind,
                    token_hash=_digest(token),
                    settings=self.vault.seal(settings),
                    created_at=datetime.now(UTC),
                )
            )
        return f"/crm/{kind}/{token}"

    async def list(self, company_code: str) -> list[Connection]:
        async with self.db() as session:
            company = await by_code(session, company_code)
            rows = await session.scalars(
                select(CrmConnection).where(CrmConnection.company_id == company.id)
            )
            return [self._connection(row) for row in rows]

    async def disconnect(self, company_code: str, kind: str) -> None:
        async with self.db.begin() as session:
            company = await by_code(session, company_code)
            if not await _drop(session, company.id, kind):
                raise UnknownConnection(f"{company_code} has no {kind} connection")

    async def by_token(self, kind: str, token: str) -> Connection:
        """The connection an inbound URL names; UnknownConnection for any other token."""
        match = _TOKEN.match(token)
        async with self.db() as session:
            row = None
            if match:
                row = await session.scalar(
                    select(CrmConnection).where(
                        CrmConnection.public_id == match.group(1), CrmConnection.kind == kind
                    )
                )
        stored = row.token_hash if row else "0" * 64
        if not hmac.compare_digest(stored, _digest(token)) or row is None:
            raise UnknownConnection("no such CRM connection")
        return self._connection(row)

    async def by_id(self, connection_id: int) -> Connection:
        async with self.db() as session:
            row = await session.get(CrmConnection, connection_id)
        if row is None:
            raise UnknownConnection(f"no CRM connection {connection_id}")
        return self._connection(row)

    def _connection(self, row: CrmConnection) -> Connection:
        return Connection(
            row.id,
            row.public_id,
            row.company_id,
            row.kind,
            self.vault.open(row.settings),
            row.created_at,
        )

    async def all(self) -> list[Connection]:
        async with self.db() as session:
            rows = await session.scalars(select(CrmConnection).order_by(CrmConnection.id))
            return [self._connection(row) for row in rows]

    async def reseal(self) -> int:
        """Every connection's secrets sealed again under the vault's sealing key, in
        one transaction: rows sealed under any key of its ring (or stored plain)
        are read; if one opens under none, WrongCrmKey and nothing changes.
        How many rows were sealed again."""
        async with self.db.begin() as session:
            rows = list(
                await session.scalars(
                    select(CrmConnection).order_by(CrmConnection.id).with_for_update()
                )
            )
            for row in rows:
                row.settings = self.vault.seal(self.vault.open(row.settings))
            return len(rows)

    async def not_sealed_under(self, key: bytes) -> list[str]:
        """Public ids of the connections ``key`` alone does not open (none: every
        secret is under it, and older keys may go)."""
        async with self.db() as session:
            rows = (
                await session.execute(select(CrmConnection.public_id, CrmConnection.settings))
            ).all()
        return [public_id for public_id, stored in rows if not sealed_under(stored, key)]

    async def of_kind(self, kind: str) -> list[Connection]:
        async with self.db() as session:
            rows = await session.scalars(select(CrmConnection).where(CrmConnection.kind == kind))
            return [self._connection(row) for row in rows]


async def _drop(session: AsyncSession, company_id: int, kind: str) -> bool:
    found = await session.scalar(
        select(CrmConnection.id).where(
            CrmConnection.company_id == company_id, CrmConnection.kind == kind
        )
    )
    if found is None:
        return False
    for table in (CrmEvent, CrmDeal, CrmPush):
        await session.execute(delete(table).where(table.connection_id == found))
    await session.execute(delete(CrmConnection).where(CrmConnection.id == found))
    await session.flush()
    return True
