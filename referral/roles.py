"""Staff roles: platform admin, partner admin (of one company), marketer."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.companies import by_code
from referral.errors import UnknownRole
from referral.models import Member, RoleGrant

ROLES = ("admin", "partner", "marketer")


@dataclass(frozen=True)
class Roles:
    """What one Telegram user may do besides being a consumer."""

    admin: bool = False
    marketer: bool = False
    partner_company_ids: frozenset[int] = field(default_factory=frozenset)

    def has(self, role: str) -> bool:
        if role == "admin":
            return self.admin
        if role == "marketer":
            return self.marketer or self.admin
        if role == "partner":
            return bool(self.partner_company_ids)
        raise UnknownRole(role)

    @property
    def any(self) -> bool:
        return self.admin or self.marketer or bool(self.partner_company_ids)


class RoleService:
    def __init__(self, db: async_sessionmaker[AsyncSession], admin_ids: frozenset[int]) -> None:
        self.db = db
        self.admin_ids = admin_ids

    async def grant(self, role: str, telegram_id: int, company_code: str | None = None) -> bool:
        """Give a role; False when the user already had it."""
        if role not in ROLES:
            raise UnknownRole(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
        if role == "partner" and not company_code:
            raise UnknownRole("a partner role needs --company CODE")
        try:
            async with self.db.begin() as session:
                company_id = (await by_code(session, company_code)).id if company_code else None
                existing = await session.scalar(
                    select(RoleGrant.id).where(
                        RoleGrant.telegram_id == telegram_id,
                        RoleGrant.role == role,
                        RoleGrant.company_id.is_(None)
                        if company_id is None
                        else RoleGrant.company_id == company_id,
                    )
                )
                if existing is not None:
                    return False
                session.add(RoleGrant(telegram_id=telegram_id, role=role, company_id=company_id))
        except IntegrityError:
            return False
        return True

    async def staff(self) -> dict[int, Roles]:
        """Every user holding a role (operators from ADMIN_IDS included)."""
        async with self.db() as session:
            ids = set((await session.scalars(select(RoleGrant.telegram_id).distinct())).all())
            return {tid: await self.of(session, tid) for tid in ids | set(self.admin_ids)}

    async def of(self, session: AsyncSession, telegram_id: int) -> Roles:
        return (await self.of_many(session, [telegram_id]))[telegram_id]

    async def of_many(self, session: AsyncSession, telegram_ids: list[int]) -> dict[int, Roles]:
        """The roles of several users in one query."""
        rows = (
            await session.execute(
                select(RoleGrant.telegram_id, RoleGrant.role, RoleGrant.company_id).where(
                    RoleGrant.telegram_id.in_(telegram_ids)
                )
            )
        ).all()
        grants: dict[int, list[tuple[str, int | None]]] = {tid: [] for tid in telegram_ids}
        for tid, role, company_id in rows:
            grants[tid].append((role, company_id))
        return {
            tid: Roles(
                admin=tid in self.admin_ids or any(r == "admin" for r, _ in held),
                marketer=any(r == "marketer" for r, _ in held),
                partner_company_ids=frozenset(
                    c for r, c in held if r == "partner" and c is not None
                ),
            )
            for tid, held in grants.items()
        }


async def partner_admins(session: AsyncSession, company_id: int) -> list[tuple[int, str | None]]:
    """(Telegram id, language if they are also a member) of the company's partner admins."""
    rows = await session.execute(
        select(RoleGrant.telegram_id, Member.language)
        .outerjoin(Member, Member.telegram_id == RoleGrant.telegram_id)
        .where(RoleGrant.role == "partner", RoleGrant.company_id == company_id)
        .order_by(RoleGrant.telegram_id)
    )
    return [(telegram_id, language) for telegram_id, language in rows]
