"""Who may open the workspace, and the one-time links that open it outside Telegram.

Inside Telegram the page proves who the user is with the Mini App's signed
init data (checked by the HTTP adapter). Outside, `/workspace` in the bot
issues a link token valid for ``LINK_MINUTES`` and usable once; the page
exchanges it for a session token (``SESSION_HOURS``) it sends on every
request. Only SHA-256 digests of tokens are stored, so a database leak
opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.analytics.models import WorkspaceToken
from referral.errors import DomainError
from referral.models import Company
from referral.roles import Roles, RoleService

LINK, SESSION = "link", "session"
LINK_MINUTES = 10
SESSION_HOURS = 8


class AccessRefused(DomainError):
    """No valid proof of who is asking, or that user holds no workspace role."""


class CompanyHidden(DomainError):
    """A company the caller may not see, or that does not exist: both read the same."""


@dataclass(frozen=True)
class Staff:
    telegram_id: int
    language: str
    roles: Roles

    def may_see_company(self, company_id: int) -> bool:
        return self.roles.admin or company_id in self.roles.partner_company_ids

    @property
    def marketer(self) -> bool:
        return self.roles.has("marketer")

    def check_company(self, company_id: int) -> None:
        if not self.may_see_company(company_id):
            raise CompanyHidden(f"no company {company_id}")

    def check_marketer(self) -> None:
        if not self.marketer:
            raise CompanyHidden("the marketer views are for marketers and operators")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class WorkspaceAccess:
    def __init__(self, db: async_sessionmaker[AsyncSession], roles: RoleService) -> None:
        self.db = db
        self.roles = roles

    async def staff(self, telegram_id: int, language: str) -> Staff:
        """The caller's roles; refuses a user with none."""
        async with self.db() as session:
            roles = await self.roles.of(session, telegram_id)
        if not roles.any:
            raise AccessRefused("this Telegram user holds no partner, marketer or operator role")
        return Staff(telegram_id, language, roles)

    async def companies(self, staff: Staff) -> list[tuple[int, str, str]]:
        """(id, code, name) of the companies whose figures the caller may see."""
        async with self.db() as session:
            query = select(Company.id, Company.code, Company.name).order_by(Company.name)
            if not staff.roles.admin and not staff.marketer:
                query = query.where(Company.id.in_(staff.roles.partner_company_ids))
            return [tuple(row) for row in (await session.execute(query)).all()]

    async def check_company(self, staff: Staff, company_id: int) -> None:
        """Refuses (as absent) a company the caller may not see, or one that does
        not exist, which an operator may otherwise ask for."""
        staff.check_company(company_id)
        if staff.roles.admin:
            await self.code_of(company_id)

    async def code_of(self, company_id: int) -> str:
        async with self.db() as session:
            code = await session.scalar(select(Company.code).where(Company.id == company_id))
        if code is None:
            raise CompanyHidden(f"no company {company_id}")
        return code

    async def issue_link(self, telegram_id: int, language: str, now: datetime | None = None) -> str:
        """A one-time link token for a user who holds a role (checked here too)."""
        await self.staff(telegram_id, language)
        return await self._issue(LINK, telegram_id, language, timedelta(minutes=LINK_MINUTES), now)

    async def exchange(self, link_token: str, now: datetime | None = None) -> str:
        """Spend a link token (once, within its minutes) for a session token."""
        now = now or datetime.now(UTC)
        async with self.db.begin() as session:
            used = await session.execute(
                update(WorkspaceToken)
                .where(
                    WorkspaceToken.token_hash == _digest(link_token),
                    WorkspaceToken.kind == LINK,
                    WorkspaceToken.used_at.is_(None),
                    WorkspaceToken.expires_at > now,
                )
                .values(used_at=now)
                .returning(WorkspaceToken.telegram_id, WorkspaceToken.language)
            )
            row = used.first()
            if row is None:
                raise AccessRefused(
                    "this link is expired, already used or not ours: send /workspace again"
                )
            await session.execute(delete(WorkspaceToken).where(WorkspaceToken.expires_at <= now))
        return await self._issue(SESSION, row[0], row[1], timedelta(hours=SESSION_HOURS), now)

    async def session_user(
        self, session_token: str, now: datetime | None = None
    ) -> tuple[int, str]:
        now = now or datetime.now(UTC)
        async with self.db() as session:
            row = await session.get(WorkspaceToken, _digest(session_token))
        if row is None or row.kind != SESSION or _aware(row.expires_at) <= now:
            raise AccessRefused("the browser session is expired or unknown: send /workspace again")
        return row.telegram_id, row.language

    async def _issue(
        self, kind: str, telegram_id: int, language: str, life: timedelta, now: datetime | None
    ) -> str:
        token = secrets.token_urlsafe(24)
        async with self.db.begin() as session:
            session.add(
                WorkspaceToken(
                    token_hash=_digest(token),
                    kind=kind,
                    telegram_id=telegram_id,
                    language=language[:2],
                    expires_at=(now or datetime.now(UTC)) + life,
                )
            )
        return token
