"""Change stamps: a counter per topic, bumped in the transaction that changes
what the topic covers, so every process can tell cheaply that a cache it holds
is stale (one primary-key read) without re-reading what the topic covers.

Topic ``offers`` covers what every member's offers share: the catalogue, its
outlets and bundles, the companies' rules and relevance floors, and the
operator's cross-service links.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from referral.db import Base

OFFERS = "offers"


class ChangeStamp(Base):
    __tablename__ = "change_stamps"

    topic: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


async def bump(session: AsyncSession, topic: str = OFFERS) -> None:
    """Mark ``topic`` changed, inside the caller's transaction (the migration
    creates the row, so concurrent writers only ever UPDATE it)."""
    result = await session.execute(
        update(ChangeStamp)
        .where(ChangeStamp.topic == topic)
        .values(version=ChangeStamp.version + 1)
    )
    if not result.rowcount:
        session.add(ChangeStamp(topic=topic, version=1))
        await session.flush()


def version_of(topic: str = OFFERS):  # type: ignore[no-untyped-def]
    """The stamp as a scalar subquery, to ride along with a query a request runs anyway."""
    return select(ChangeStamp.version).where(ChangeStamp.topic == topic).scalar_subquery()
