"""Two bot processes on one PostgreSQL database: each periodic job runs once
per tick, not once per process, and the survivor takes over when one stops."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from referral.leases import HOLD_SHARE

INTERVAL = 1.0
RUN = re.compile(
    r"referral\.leases job (?P<job>\S+) tick (?P<tick>\d+) runs in \S+, taken at (?P<at>\d+\.\d+)"
)


async def worker(url: str, data_dir: Path, seconds: float) -> asyncio.subprocess.Process:
    env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(data_dir), "QUIET_HOURS": ""}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.e2e.lease_worker",
        str(seconds),
        str(INTERVAL),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


def runs(output: bytes) -> list[tuple[float, str, int]]:
    found = []
    for line in output.decode().splitlines():
        if match := RUN.search(line):
            found.append((float(match["at"]), match["job"], int(match["tick"])))
    return found


@pytest.mark.postgres
@pytest.mark.timeout(90)
async def test_each_job_runs_once_per_tick_across_two_processes(pg_database, tmp_path):
    short = await worker(pg_database, tmp_path / "a", 5)
    long = await worker(pg_database, tmp_path / "b", 9)
    outputs = await asyncio.gather(short.communicate(), long.communicate())
    assert short.returncode == 0 and long.returncode == 0, outputs
    by_process = [runs(out) for out, _ in outputs]
    by_job: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for process_runs in by_process:
        for at, job, tick in process_runs:
            by_job[job].append((at, tick))

    listed = next(line for line in outputs[0][0].decode().splitlines() if line.startswith("jobs "))
    assert set(by_job) == set(listed.split()[1:])  # every job ran, in one process or the other
    for job, seen in by_job.items():
        seen.sort()
        ticks = [tick for _, tick in seen]
        # Each tick run once (a tick taken just as a process stops may go unlogged).
        assert ticks == sorted(set(ticks)), (job, ticks)
        gaps = [b - a for (a, _), (b, _) in zip(seen, seen[1:], strict=False)]
        # The lease's own clock: a tick is never taken again within its hold.
        assert min(gaps) >= HOLD_SHARE * INTERVAL - 1e-6, (job, gaps)
    short_end = max(at for at, _, _ in by_process[0]) if by_process[0] else 0.0
    assert any(at > short_end + INTERVAL for at, _, _ in by_process[1])  # the survivor goes on
