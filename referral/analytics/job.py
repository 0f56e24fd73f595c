"""The analytics job: bring the rollup up to date, then rebuild the snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.analytics.rollup import RefreshReport, Rollup
from referral.analytics.snapshot import Snapshots


@dataclass(frozen=True)
class JobReport:
    rollup: RefreshReport
    snapshots: int


class AnalyticsJob:
    def __init__(self, db: async_sessionmaker[AsyncSession], floor: int, zone: tzinfo) -> None:
        self.rollup = Rollup(db, zone)
        self.snapshots = Snapshots(db, floor, zone)

    async def refresh_rollup(self, now: datetime | None = None) -> RefreshReport:
        return await self.rollup.refresh(now)

    async def run(self, now: datetime | None = None) -> JobReport:
        report = await self.rollup.refresh(now)
        return JobReport(report, await self.snapshots.rebuild(now))
