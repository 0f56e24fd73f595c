"""Partner companies: registration and lookup."""

from __future__ import annotations

import asyncio
import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.errors import DuplicateCompany, InvalidCompany, UnknownCompany
from referral.links import COMPANY_CODE
from referral.models import Company


def code_from_name(name: str) -> str:
    """A readable code from an ASCII name, or a random one (Cyrillic names)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:20].strip("-")
    if COMPANY_CODE.match(slug):
        return slug
    return "co-" + secrets.token_hex(3)


class CompanyService:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db
        # Companies are never renamed or removed, so a company once found stays
        # true: every /start with a QR link asks for one, and a positive cache
        # spares that transaction. A company added by another process (the CLI)
        # is simply not cached yet and is read from the database.
        self._known: dict[str, Company] = {}
        # A campaign brings a burst of people through one QR code at once: one
        # of them reads the companies, the rest wait for that read.
        self._reading = asyncio.Lock()

    async def add(self, name: str, code: str | None = None) -> Company:
        name = name.strip()
        if not name:
            raise InvalidCompany("the company name is empty")
        if len(name) > 200:
            raise InvalidCompany("the company name is longer than 200 characters")
        code = code.strip().lower() if code else code_from_name(name)
        if not COMPANY_CODE.match(code):
            raise InvalidCompany(
                f"code {code!r} must be 2-20 characters of a-z, 0-9 and '-', starting "
                "with a letter or digit"
            )
        company = Company(name=name, code=code)
        try:
            async with self.db.begin() as session:
                session.add(company)
        except IntegrityError as error:
            raise DuplicateCompany(f"a company with code {code!r} already exists") from error
        return company

    async def get(self, code: str) -> Company:
        if code not in self._known:
            async with self._reading:
                if code not in self._known:
                    self._known.update((c.code, c) for c in await self.all())
        company = self._known.get(code)
        if company is None:
            raise UnknownCompany(f"no company with code {code!r}")
        return company

    async def get_by_id(self, company_id: int) -> Company:
        async with self.db() as session:
            company = await session.get(Company, company_id)
        if company is None:
            raise UnknownCompany(str(company_id))
        return company

    async def all(self) -> list[Company]:
        async with self.db() as session:
            return list((await session.scalars(select(Company).order_by(Company.code))).all())


async def by_code(session: AsyncSession, code: str) -> Company:
    company = await session.scalar(select(Company).where(Company.code == code))
    if company is None:
        raise UnknownCompany(f"no company with code {code!r}")
    return company
