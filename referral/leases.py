"""Job leases: each periodic job runs once per tick across processes.

Every bot process schedules the same jobs. Before a job runs, its process
takes the job's lease with one conditional UPDATE (``WHERE expires_at <=
now``), which exactly one process can win on SQLite (one writer) and on
PostgreSQL (row lock, then re-check of the WHERE) alike. The lease is held for
most of the job's interval and *not* released when the job ends: releasing it
would let a second process whose timer fires a moment later run the same tick
again. A process that dies keeps its lease only until it expires, so another
one takes the job over at the next tick after that.

``generation`` counts the ticks a lease was taken: a fencing number for logs
and for tests that count runs.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Integer, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from referral.db import Base

log = logging.getLogger(__name__)

# A lease is held for this share of the interval, so the next tick of any
# process (timers drift by milliseconds) finds it free again.
HOLD_SHARE = 0.9


class JobLease(Base):
    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    generation: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class Tick:
    """A won lease: this process runs this tick of the job."""

    name: str
    generation: int
    taken_at: datetime


@dataclass(frozen=True)
class Holder:
    """The process holding a lease, and when the lease lapses."""

    owner: str
    until: datetime | None  # None: it lapsed between the refusal and the look


def process_owner() -> str:
    """host:pid:random, unique per process even when pids repeat across machines."""
    return f"{os.uname().nodename}:{os.getpid()}:{secrets.token_hex(3)}"


class Leases:
    def __init__(self, db: async_sessionmaker[AsyncSession], owner: str | None = None) -> None:
        self.db = db
        self.owner = owner or process_owner()

    async def take(self, name: str, hold: timedelta, now: datetime | None = None) -> Tick | None:
        """The tick if this process won the lease for ``hold``; None when another holds it."""
        now = now or datetime.now(UTC)
        for _ in range(2):  # the second round only after creating the row
            async with self.db.begin() as session:
                won = await session.execute(
                    update(JobLease)
                    .where(JobLease.name == name, JobLease.expires_at <= now)
                    .values(
                        owner=self.owner,
                        expires_at=now + hold,
                        generation=JobLease.generation + 1,
                    )
                )
                if won.rowcount == 1:
                    generation = await session.scalar(
                        select(JobLease.generation).where(JobLease.name == name)
                    )
                    return Tick(name, int(generation or 0), now)
                exists = await session.scalar(select(JobLease.name).where(JobLease.name == name))
            if exists is not None:
                return None
            await self._create(name, now)
        return None

    async def _create(self, name: str, now: datetime) -> None:
        # Born expired, so the UPDATE above decides who wins even the first tick.
        try:
            async with self.db.begin() as session:
                session.add(
                    JobLease(name=name, owner="", expires_at=now - timedelta(1), generation=0)
                )
        except IntegrityError:
            pass  # another process created it first: the same row, fine

    async def holder(self, name: str, now: datetime | None = None) -> Holder | None:
        """Who holds the lease now and until when; None when it is free."""
        now = now or datetime.now(UTC)
        async with self.db() as session:
            row = (
                await session.execute(
                    select(JobLease.owner, JobLease.expires_at).where(JobLease.name == name)
                )
            ).first()
        if row is None:
            return None
        until = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
        return Holder(row.owner, until) if until > now else None

    async def release(self, name: str) -> None:
        """Give a lease back early (this process stops): the next tick anywhere may take it."""
        async with self.db.begin() as session:
            await session.execute(
                update(JobLease)
                .where(JobLease.name == name, JobLease.owner == self.owner)
                .values(expires_at=datetime(1970, 1, 1, tzinfo=UTC))
            )


def leased(
    leases: Leases,
    name: str,
    interval: timedelta,
    job: Callable[..., Awaitable[Any]],
) -> Callable[..., Awaitable[Any]]:
    """``job`` wrapped to run only in the process that takes this tick's lease."""
    hold = interval * HOLD_SHARE

    async def run_once_per_tick(*args: Any, **kwargs: Any) -> Any:
        tick = await leases.take(name, hold)
        if tick is None:
            log.debug("job %s: another process holds this tick", name)
            return None
        log.info(
            "job %s tick %s runs in %s, taken at %.6f",
            name,
            tick.generation,
            leases.owner,
            tick.taken_at.timestamp(),
        )
        return await job(*args, **kwargs)

    run_once_per_tick.__name__ = f"leased_{name}"
    run_once_per_tick.__qualname__ = run_once_per_tick.__name__
    return run_once_per_tick
