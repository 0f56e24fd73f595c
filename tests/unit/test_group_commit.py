"""Group commit: batching, per-request refusals, and retrying a failed batch one by one."""

from __future__ import annotations

import asyncio

import pytest

from referral.group_commit import GroupCommitter


class Recorder:
    def __init__(self, poison: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.poison = poison

    async def run(self, batch):
        self.batches.append(list(batch))
        await asyncio.sleep(0)  # a transaction takes a while; others queue meanwhile
        if self.poison in batch:
            raise RuntimeError(f"constraint hit by {self.poison}")
        return [ValueError("odd") if n % 2 else n * 10 for n in batch]


async def test_a_lone_request_goes_at_once_and_a_burst_shares_the_next_batch():
    recorder = Recorder()
    committer = GroupCommitter(recorder.run)
    assert await committer.submit(2) == 20
    results = await asyncio.gather(
        *(committer.submit(n) for n in (4, 6, 8, 10)), return_exceptions=True
    )
    assert results == [40, 60, 80, 100]
    assert recorder.batches == [[2], [4, 6, 8, 10]]


async def test_requests_arriving_during_a_commit_wait_for_the_next_one():
    recorder = Recorder()
    committer = GroupCommitter(recorder.run)
    first = asyncio.create_task(committer.submit(2))
    await asyncio.sleep(0)  # the first batch is now under way
    later = await asyncio.gather(committer.submit(4), committer.submit(6))
    assert await first == 20 and later == [40, 60]
    assert recorder.batches == [[2], [4, 6]]


async def test_a_refusal_reaches_only_its_own_caller():
    committer = GroupCommitter(Recorder().run)
    results = await asyncio.gather(
        *(committer.submit(n) for n in (2, 3, 4)), return_exceptions=True
    )
    assert results[0] == 20 and results[2] == 40
    assert isinstance(results[1], ValueError)


async def test_a_failed_batch_is_retried_one_by_one():
    recorder = Recorder(poison=6)
    committer = GroupCommitter(recorder.run)
    results = await asyncio.gather(
        *(committer.submit(n) for n in (2, 4, 6, 8)), return_exceptions=True
    )
    assert results[:2] == [20, 40] and results[3] == 80
    assert isinstance(results[2], RuntimeError)
    assert recorder.batches == [[2, 4, 6, 8], [2], [4], [6], [8]]


async def test_a_lone_failure_is_raised_to_its_caller():
    committer = GroupCommitter(Recorder(poison=6).run)
    with pytest.raises(RuntimeError, match="constraint hit by 6"):
        await committer.submit(6)
