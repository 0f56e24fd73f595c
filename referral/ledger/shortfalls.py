"""A partner's deposit ran short: who to tell, at most once per company per hour.

The reward that was refused stays refused (or waits for a retry, where its
feature has one); this only decides whether the company's partner admins get
a message now. The last message's time lives in the database, so restarts and
several bot processes (webhook replicas) share one throttle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.ledger.activity_models import PartnerNotice
from referral.ledger.errors import InsufficientDeposit
from referral.models import Company
from referral.roles import partner_admins

EVERY = timedelta(hours=1)
TOPIC = "deposit_short"


@dataclass(frozen=True)
class Shortfall:
    """What a refused reward needed from the partner's deposit and what was there."""

    company_id: int
    company_code: str
    company_name: str
    currency: str
    needed: int
    available: int


@dataclass(frozen=True)
class Recipient:
    telegram_id: int
    language: str | None


async def shortfall_of(session: AsyncSession, refusal: InsufficientDeposit) -> Shortfall:
    company = await session.get_one(Company, refusal.company_id)
    return Shortfall(
        company.id, company.code, company.name, refusal.currency, refusal.needed, refusal.available
    )


class ShortfallNotices:
    def __init__(self, db: async_sessionmaker[AsyncSession], every: timedelta = EVERY) -> None:
        self.db = db
        self.every = every

    async def recipients_due(self, company_id: int, now: datetime) -> list[Recipient]:
        """The company's partner admins when none was told within the hour, else [];
        claiming the hour and reading the admins is one transaction."""
        table = PartnerNotice.__table__
        async with self.db.begin() as session:
            conn = await session.connection()
            insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            # One statement claims the slot: concurrent refusals agree on one winner.
            claimed = await conn.scalar(
                insert(table)
                .values(company_id=company_id, topic=TOPIC, sent_at=now)
                .on_conflict_do_update(
                    index_elements=["company_id", "topic"],
                    set_={"sent_at": now},
                    where=table.c.sent_at <= now - self.every,
                )
                .returning(table.c.company_id)
            )
            if claimed is None:
                return []
            return [Recipient(*row) for row in await partner_admins(session, company_id)]
