"""Admitting updates: the dedupe claim and who sent each, in group commits.

Every update pays for this before any handler runs, so it is group-committed
(``referral.group_commit``): one transaction claims all the update ids of a
burst and loads all their senders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.consent import consenting_members
from referral.group_commit import GroupCommitter
from referral.members import Identity
from referral.models import ProcessedUpdate
from referral.roles import Roles, RoleService

_processed = ProcessedUpdate.__table__  # see _admit_all for why Core


@dataclass(frozen=True)
class _Request:
    bot_id: int
    update_id: int
    telegram_id: int | None


class UpdateGate:
    def __init__(self, db: async_sessionmaker[AsyncSession], roles: RoleService) -> None:
        self.db = db
        self.roles = roles
        self._committer = GroupCommitter(self._admit_all)

    async def admit(self, bot_id: int, update_id: int, telegram_id: int | None) -> Identity | None:
        """The sender's identity for a first delivery; None for a repeated update_id.

        The claim holds across restarts and processes (primary key of
        processed_updates); release it if handling fails so a redelivery is
        handled.
        """
        return await self._committer.submit(_Request(bot_id, update_id, telegram_id))

    async def _admit_all(self, batch: Sequence[_Request]) -> list[Identity | None]:
        # The same update twice in one batch: only its first request may claim it.
        first: dict[tuple[int, int], _Request] = {}
        for request in batch:
            first.setdefault((request.bot_id, request.update_id), request)
        senders = sorted({r.telegram_id for r in first.values() if r.telegram_id is not None})
        async with self.db.begin() as session:
            insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
            # The table, not the ORM entity, and a list of parameter sets, not
            # .values([...]): one statement for any batch size, compiled once
            # (a multi-row VALUES is a new statement, compiled anew, for every
            # batch size seen), sent as multi-row INSERTs by SQLAlchemy's
            # insertmanyvalues.
            claimed_rows = await session.execute(
                insert(_processed)
                .on_conflict_do_nothing()
                .returning(_processed.c.bot_id, _processed.c.update_id),
                [{"bot_id": b, "update_id": u} for b, u in first],
            )
            claimed = {(b, u) for b, u in claimed_rows.all()}
            members, roles = {}, {}
            if senders:
                found = await session.scalars(consenting_members(senders))
                members = {m.telegram_id: m for m in found}
                roles = await self.roles.of_many(session, senders)
        identities: list[Identity | None] = []
        for request in batch:
            key = (request.bot_id, request.update_id)
            if first[key] is not request or key not in claimed:
                identities.append(None)
            elif request.telegram_id is None:
                identities.append(Identity(0, None, Roles()))
            else:
                tid = request.telegram_id
                identities.append(Identity(tid, members.get(tid), roles[tid]))
        return identities
