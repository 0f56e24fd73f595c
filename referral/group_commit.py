"""Group commit: requests that arrive while a transaction is under way share the next one.

A burst of updates would otherwise pay one transaction each (on SQLite, one
fsync and one trip through the single connection per request). Here a lone
request still goes at once; requests that queue behind it wait for the
current batch to finish and then go together. A batch that fails as a whole
(a constraint hit by one request, a lost connection) is retried one request
at a time, so one bad request gets its own error and the others their result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Request = TypeVar("Request")
Result = TypeVar("Result")


class GroupCommitter(Generic[Request, Result]):
    def __init__(
        self, run_batch: Callable[[Sequence[Request]], Awaitable[Sequence[Result | Exception]]]
    ) -> None:
        """``run_batch`` handles a batch in one transaction and returns one
        result per request, in order; an ``Exception`` in that list is raised
        to that request's caller only (a refusal that changed nothing)."""
        self._run_batch = run_batch
        self._waiting: list[tuple[Request, asyncio.Future[Result]]] = []
        self._committer: asyncio.Task[None] | None = None

    async def submit(self, request: Request) -> Result:
        answer: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, answer))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_waiting())
        return await answer

    async def _commit_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                results = await self._run_batch([request for request, _ in batch])
            except Exception as error:  # noqa: BLE001 - handed to the waiting callers
                if len(batch) == 1:
                    _settle(batch[0][1], error)
                else:
                    for request, answer in batch:
                        await self._run_alone(request, answer)
                continue
            for (_, answer), result in zip(batch, results, strict=True):
                _settle(answer, result)

    async def _run_alone(self, request: Request, answer: asyncio.Future[Result]) -> None:
        try:
            (result,) = await self._run_batch([request])
        except Exception as error:  # noqa: BLE001 - handed to the waiting caller
            result = error
        _settle(answer, result)


def _settle(answer: asyncio.Future[Result], result: Result | Exception) -> None:
    if answer.done():  # the caller was cancelled
        return
    if isinstance(result, Exception):
        answer.set_exception(result)
    else:
        answer.set_result(result)
