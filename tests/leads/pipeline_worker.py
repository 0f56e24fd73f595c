"""One lead pipeline process for the SIGKILL test: runs passes until nothing
moves, and kills itself with SIGKILL at a chosen point when told to.

    python -m tests.leads.pipeline_worker LOG [KILL_AT N]

KILL_AT is a lead state: the process dies inside the transaction of the N-th
move into it (so that move never commits); or ``sent``: it dies right after
the N-th offer reached the member, before its lead is marked offered (or
``notice``: the N-th partner notice, before it is marked told). What
the "bot" sends is appended to LOG (the real bot's sender is tested apart).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from refbot.services import build_services
from refbot.settings import Settings
from referral.leads import states
from referral.leads.pipeline import SENT, OfferToSend, PartnerNotice

seen: Counter[str] = Counter()


def die_at(point: str, when: int, kill_at: str | None) -> None:
    seen[point] += 1
    if point == kill_at and seen[point] == when:
        os.kill(os.getpid(), signal.SIGKILL)


class FileSender:
    def __init__(self, log: Path, kill_at: str | None, when: int) -> None:
        self.log, self.kill_at, self.when = log, kill_at, when

    def _write(self, line: str) -> None:
        with self.log.open("a") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    async def offer(self, offer: OfferToSend) -> str:
        self._write(f"offer {offer.lead_id} {offer.offer_id}")
        die_at("sent", self.when, self.kill_at)
        return SENT

    async def tell_partner(self, notice: PartnerNotice) -> None:
        self._write(f"notice {notice.lead_id}")
        die_at("notice", self.when, self.kill_at)


async def main(log: Path, kill_at: str | None, when: int) -> None:
    real_move = states.move

    async def move(session, lead_id, from_status, to_status, reason, now, **values):  # type: ignore[no-untyped-def]
        die_at(to_status, when, kill_at)
        return await real_move(session, lead_id, from_status, to_status, reason, now, **values)

    states.move = move  # type: ignore[assignment]
    services = build_services(Settings())
    sender = FileSender(log, kill_at, when)
    try:
        for _ in range(10):  # until a pass moves nothing
            report = await services.lead_pipeline.run(sender)
            if not any(report.moved.values()):
                break
    finally:
        await services.close()
    print("done", flush=True)


if __name__ == "__main__":
    kill = sys.argv[2] if len(sys.argv) > 2 else None
    asyncio.run(main(Path(sys.argv[1]), kill, int(sys.argv[3]) if kill else 0))
