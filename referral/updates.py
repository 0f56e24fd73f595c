"""The log of handled update ids: Telegram delivers at least once, we act once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.models import ProcessedUpdate


class UpdateLog:
    """Releasing and pruning claims; referral.gate makes them (in group commits)."""

    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def release(self, bot_id: int, update_id: int) -> None:
        """Forget a claim whose handling failed, so a redelivery is handled."""
        async with self.db.begin() as session:
            await session.execute(
                delete(ProcessedUpdate).where(
                    ProcessedUpdate.bot_id == bot_id, ProcessedUpdate.update_id == update_id
                )
            )

    async def prune(self, keep: timedelta = timedelta(days=7)) -> int:
        cutoff = datetime.now(UTC) - keep
        async with self.db.begin() as session:
            result = await session.execute(
                delete(ProcessedUpdate).where(ProcessedUpdate.received_at < cutoff)
            )
        return result.rowcount or 0
