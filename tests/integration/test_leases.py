"""Job leases: one process wins a tick, the lease outlives the run, a dead
owner's lease is taken over once it expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from referral.leases import Leases, leased

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HOLD = timedelta(seconds=54)


async def test_one_of_two_processes_wins_a_tick(db):
    first, second = Leases(db, "a"), Leases(db, "b")
    assert await first.take("job", HOLD, T0) is not None
    assert await second.take("job", HOLD, T0 + timedelta(seconds=1)) is None
    # the first process's own next timer fire inside the hold loses too
    assert await first.take("job", HOLD, T0 + timedelta(seconds=30)) is None


async def test_the_next_tick_goes_to_whoever_asks_first_after_expiry(db):
    first, second = Leases(db, "a"), Leases(db, "b")
    one = await first.take("job", HOLD, T0)
    two = await second.take("job", HOLD, T0 + timedelta(seconds=60))
    assert one is not None and two is not None
    assert (one.generation, two.generation) == (1, 2)
    assert await first.take("job", HOLD, T0 + timedelta(seconds=61)) is None


async def test_leases_of_different_jobs_are_independent(db):
    leases = Leases(db, "a")
    assert await leases.take("settle", HOLD, T0) is not None
    assert await Leases(db, "b").take("remind", HOLD, T0) is not None


async def test_released_lease_is_free_at_once(db):
    first = Leases(db, "a")
    await first.take("job", HOLD, T0)
    await first.release("job")
    assert await Leases(db, "b").take("job", HOLD, T0 + timedelta(seconds=1)) is not None


async def test_a_leased_job_runs_only_in_the_winning_process(db):
    runs: list[str] = []

    async def job(who: str) -> None:
        runs.append(who)

    interval = timedelta(hours=1)
    await leased(Leases(db, "a"), "job", interval, job)("a")
    await leased(Leases(db, "b"), "job", interval, job)("b")
    assert runs == ["a"]
