"""One bot process's scheduler for the two-process lease test.

Runs every real periodic job of bot/jobs (the same list `refbot run`
schedules) against DATABASE_URL with a short interval, for a few seconds,
logging each tick it wins to stdout. Usage:
    python -m tests.e2e.lease_worker SECONDS INTERVAL_SECONDS
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
from datetime import timedelta

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.jobs import add_periodic, periodic_jobs
from refbot.services import build_services
from refbot.settings import Settings


async def main(seconds: float, interval: float) -> None:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(created)f %(name)s %(message)s"
    )
    services = build_services(Settings())
    # Nothing is due in an empty database, so no job reaches this Bot's server.
    bot = Bot("1:" + "x" * 35, session=None)
    scheduler = AsyncIOScheduler()
    jobs = periodic_jobs(services, bot)
    print("jobs", " ".join(periodic.name for periodic in jobs), flush=True)
    for periodic in jobs:
        add_periodic(
            scheduler, services, dataclasses.replace(periodic, interval=timedelta(seconds=interval))
        )
    scheduler.start()
    print("started", flush=True)
    await asyncio.sleep(seconds)
    scheduler.shutdown(wait=False)
    await bot.session.close()
    await services.close()
    print("stopped", flush=True)


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]), float(sys.argv[2])))
