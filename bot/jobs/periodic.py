"""A periodic job as data: its lease name, coroutine, interval and arguments.

Every feature lists its jobs (``ledger_jobs``, ``offer_jobs``, ...) and
bot/jobs/__init__.py schedules them all the same way, each behind its lease
(referral/leases.py), so it runs once per tick however many bot processes
there are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class Periodic:
    name: str  # the scheduler's job id and the lease's name
    job: Callable[..., Awaitable[Any]]
    interval: timedelta
    args: tuple[object, ...] = ()
