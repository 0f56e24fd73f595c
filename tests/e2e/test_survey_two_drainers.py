"""Two bot processes drain one outbox on PostgreSQL: nobody gets a question twice.

Each drainer has its own engine (its own connections, as a second process
would) and its own worker id; both send through the local Bot API server.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.jobs.survey_outbox import SurveyDrainer, bulk_bot
from localapi import LocalBotAPI
from referral.db import create_engine, create_sessionmaker
from referral.members import MemberService
from referral.roles import RoleService
from referral.surveys.outbox import Outbox
from referral.surveys.service import SurveyService
from tests.surveys.factories import members, spec


@pytest.mark.postgres
async def test_two_drainers_send_each_first_question_exactly_once(pg_database):
    engines = [create_engine(pg_database) for _ in range(2)]
    dbs = [create_sessionmaker(engine) for engine in engines]
    async with LocalBotAPI() as api:
        drainers = []
        try:
            chats = await members(dbs[0], 60)
            survey_id = await SurveyService(dbs[0]).create(spec())
            assert await SurveyService(dbs[0]).queue(survey_id) == 60
            for db in dbs:
                drainers.append(
                    SurveyDrainer(
                        Outbox(db),
                        SurveyService(db),
                        MemberService(db, RoleService(db, frozenset())),
                        bulk_bot(api.token, api.url),
                        rate=200,
                        concurrency=4,
                    )
                )
            sent = await asyncio.gather(*(d.drain(budget=30) for d in drainers))
        finally:
            for drainer in drainers:
                await drainer.bot.session.close()
            for engine in engines:
                await engine.dispose()
        per_chat = Counter(call.chat_id for call in api.delivered(method="sendMessage"))
    assert sum(sent) == 60 and all(n > 0 for n in sent), sent
    assert set(per_chat) == set(chats)
    assert set(per_chat.values()) == {1}
