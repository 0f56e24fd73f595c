"""Deliver a survey to N members through the local Bot API server with Telegram-like
flood limits on; print the achieved rate against the ceiling, 429s, duplicates, losses.

    /work/venv/bin/python bench/bench_surveys.py                 # 10,000 at 100/s (time-scaled)
    /work/venv/bin/python bench/bench_surveys.py --rate 25       # the real ceiling: ~7 minutes

The server refuses (429) sends beyond ``--server-limit`` a second overall
(default: 1.2 x rate, Telegram's 30 against our default 25) and 1 a second per chat.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from bot.jobs.survey_outbox import SurveyDrainer, bulk_bot  # noqa: E402
from localapi import LocalBotAPI  # noqa: E402
from migrations.runner import upgrade_async  # noqa: E402
from referral.companies import CompanyService  # noqa: E402
from referral.consent import CONSENT_VERSION  # noqa: E402
from referral.db import create_engine, create_sessionmaker  # noqa: E402
from referral.members import MemberService, new_pseudonym  # noqa: E402
from referral.models import Consent, Member  # noqa: E402
from referral.roles import RoleService  # noqa: E402
from referral.surveys.outbox import Outbox  # noqa: E402
from referral.surveys.service import SurveyService  # noqa: E402
from referral.surveys.spec import parse_spec  # noqa: E402

FIRST_ID = 7_000_000


async def seed(db, n: int) -> int:  # type: ignore[no-untyped-def]
    """N consenting members, inserted in bulk (arranging the world, not what is measured)."""
    company = await CompanyService(db).add("Bench Coffee", "bench")
    now = datetime.now(UTC)
    async with db.begin() as session:
        await session.execute(
            insert(Member),
            [
                {
                    "pseudonym": new_pseudonym(),
                    "telegram_id": FIRST_ID + i,
                    "company_id": company.id,
                    "language": "ru",
                    "reachable": True,
                }
                for i in range(n)
            ],
        )
        await session.execute(
            insert(Consent),
            [
                {
                    "member_id": i + 1,
                    "company_id": company.id,
                    "version": CONSENT_VERSION,
                    "accepted_at": now,
                }
                for i in range(n)
            ],
        )
    surveys = SurveyService(db, min_audience=5)
    survey_id = await surveys.create(
        parse_spec(
            {
                "title": "Bench",
                "company": "bench",
                "questions": [{"kind": "rating", "text": "How was it?"}],
            }
        )
    )
    return survey_id


async def main(members: int, rate: float, server_limit: int, concurrency: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        await upgrade_async(url)
        engine = create_engine(url)
        db = create_sessionmaker(engine)
        survey_id = await seed(db, members)
        surveys = SurveyService(db)
        queued = await surveys.queue(survey_id)
        async with LocalBotAPI() as api:
            api.rate_limit(per_second_overall=server_limit, per_chat_per_second=1)
            bot = bulk_bot(api.token, api.url)
            drainer = SurveyDrainer(
                Outbox(db),
                surveys,
                MemberService(db, RoleService(db, frozenset())),
                bot,
                rate=rate,
                concurrency=concurrency,
            )
            started = time.monotonic()
            while await drainer.outbox.due():
                await drainer.drain(budget=3600)
            elapsed = time.monotonic() - started
            await bot.session.close()
            delivered = Counter(c.chat_id for c in api.delivered(method="sendMessage"))
            refused = [c for c in api.calls("sendMessage") if c.failed and c.error_code == 429]
        counts = await surveys.progress(survey_id)
        await engine.dispose()
    duplicates = sum(1 for n in delivered.values() if n > 1)
    losses = sum(1 for i in range(members) if delivered[FIRST_ID + i] == 0)
    achieved = sum(delivered.values()) / elapsed
    print(f"members {members}, queued {queued}, concurrency {concurrency}")
    print(f"ceiling {rate:.1f}/s (server refuses above {server_limit}/s overall, 1/s per chat)")
    print(
        f"delivered {sum(delivered.values())} in {elapsed:.1f}s: {achieved:.2f} msg/s "
        f"= {100 * achieved / rate:.1f}% of the ceiling"
    )
    unsettled = counts["sending"] + counts["pending"]
    print(
        f"429s seen {len(refused)}; duplicates {duplicates}; losses {losses}; "
        f"rows left unsettled {unsettled}; outbox {counts}"
    )
    print(
        f"database transactions by the drainer: {drainer.stats['commits']} "
        f"({drainer.stats['commits'] / max(1, sum(delivered.values())):.2f} a message)"
    )
    return 0 if duplicates == 0 and losses == 0 and unsettled == 0 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0, help="the drainer's ceiling, msg/s")
    parser.add_argument("--server-limit", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    limit = args.server_limit or int(args.rate * 1.2)
    sys.exit(asyncio.run(main(args.members, args.rate, limit, args.concurrency)))
