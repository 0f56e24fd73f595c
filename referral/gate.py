"""Admitting an update: the dedupe claim and who sent it, in one transaction.

Every update pays for this before any handler runs, so it is one round of
statements in one unit of work instead of two.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.consent import consenting_member
from referral.members import Identity
from referral.models import ProcessedUpdate
from referral.roles import Roles, RoleService


class UpdateGate:
    def __init__(self, db: async_sessionmaker[AsyncSession], roles: RoleService) -> None:
        self.db = db
        self.roles = roles

    async def admit(self, bot_id: int, update_id: int, telegram_id: int | None) -> Identity | None:
        """The sender's identity for a first delivery; None for a repeated update_id.

        The claim holds across restarts and processes (primary key of
        processed_updates); release it if handling fails so a redelivery is
        handled.
        """
        async with self.db.begin() as session:
            insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
            claimed = await session.execute(
                insert(ProcessedUpdate)
                .values(bot_id=bot_id, update_id=update_id)
                .on_conflict_do_nothing()
            )
            if claimed.rowcount == 0:
                return None
            if telegram_id is None:
                return Identity(0, None, Roles())
            member = await session.scalar(consenting_member(telegram_id))
            roles = await self.roles.of(session, telegram_id)
        return Identity(telegram_id, member, roles)
