"""Admitting updates in group commits, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from referral.companies import CompanyService
from referral.gate import UpdateGate
from referral.links import LinkTarget
from referral.members import MemberService
from referral.roles import RoleService
from tests.statements import record_statements


async def test_a_burst_is_admitted_together_and_a_repeated_update_id_loses(db):
    roles = RoleService(db, frozenset({7}))
    await CompanyService(db).add("Acme Coffee", "acme")
    await MemberService(db, roles).accept_consent(8, LinkTarget("acme"), "en")
    gate = UpdateGate(db, roles)
    burst = [(1, 7), (2, 8), (2, 8), (3, 9), (1, None)]  # update id 2 twice, id 1 twice
    results = await asyncio.gather(*(gate.admit(100, uid, tid) for uid, tid in burst))
    assert [r is not None for r in results] == [True, True, False, True, False]
    admin, member, _, stranger, _ = results
    assert admin.roles.admin and admin.member is None
    assert member.member is not None and member.member.telegram_id == 8
    assert stranger.member is None and not stranger.roles.any
    # A later delivery of an id already admitted, and the same id for another bot.
    assert await gate.admit(100, 2, 8) is None
    assert await gate.admit(200, 2, 8) is not None


async def test_claims_of_any_batch_size_share_one_compiled_statement(db):
    gate = UpdateGate(db, RoleService(db, frozenset()))
    statements = record_statements(db)
    for first, size in ((1, 2), (10, 5)):  # two bursts, two batch sizes
        await asyncio.gather(*(gate.admit(100, first + i, None) for i in range(size)))
    claims = [c for sql, c in statements if sql.startswith("INSERT INTO processed_updates")]
    assert len(claims) >= 2
    assert len({id(compiled) for compiled in claims}) == 1
