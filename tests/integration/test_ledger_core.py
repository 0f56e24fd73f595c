"""The ledger's guarantees on real SQLite and PostgreSQL: idempotency,
no overdraft, partner-funded awards, holds resolved once, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from referral.companies import CompanyService
from referral.ledger.check import check
from referral.ledger.errors import AlreadyResolved, InsufficientDeposit, InsufficientPoints
from referral.ledger.ledger import Ledger
from referral.ledger.rules import RuleService
from referral.ledger.wallet import WalletService
from referral.links import LinkTarget
from referral.members import MemberService
from referral.roles import RoleService

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def world(db):
    clock = Clock()
    company = await CompanyService(db).add("Acme Coffee", "acme")
    member, _ = await MemberService(db, RoleService(db, frozenset())).accept_consent(
        42, LinkTarget("acme"), "ru"
    )
    ledger = Ledger(db, clock)
    return ledger, company, member, clock, db


async def balance(db, member_id, company_id):
    wallet = await WalletService(db).wallet(member_id)
    return next((b.points for b in wallet.balances if b.company_id == company_id), 0)


async def test_award_is_idempotent_and_drawn_on_the_deposit(world):
    ledger, company, member, _, db = world
    with pytest.raises(InsufficientDeposit) as refused:
        await ledger.award_points(member.id, company.id, 10, "survey", "survey:1:42")
    assert "refbot deposit acme" in str(refused.value)
    assert await ledger.deposit(company.id, 100, "top-up-1") is True
    assert await ledger.award_points(member.id, company.id, 10, "survey", "survey:1:42") is True
    assert await ledger.award_points(member.id, company.id, 10, "survey", "survey:1:42") is False
    assert await balance(db, member.id, company.id) == 10
    assert await check(db) == []


async def test_spend_never_overdraws(world):
    ledger, company, member, _, db = world
    await ledger.deposit(company.id, 100, "top-up")
    await ledger.award_points(member.id, company.id, 30, "gift", "gift")
    await ledger.spend(member.id, company.id, 20, "spend-1")
    with pytest.raises(InsufficientPoints):
        await ledger.spend(member.id, company.id, 20, "spend-2")
    assert await balance(db, member.id, company.id) == 10
    assert await check(db) == []


async def test_hold_is_resolved_at_most_once_and_void_frees_points(world):
    ledger, company, member, clock, db = world
    await ledger.deposit(company.id, 100, "top-up")
    await ledger.award_points(member.id, company.id, 30, "gift", "gift")
    await ledger.spend(member.id, company.id, 25, "voucher-1", hold_until=T0 + timedelta(hours=1))
    assert await balance(db, member.id, company.id) == 5
    await ledger.void("voucher-1")
    with pytest.raises(AlreadyResolved):
        await ledger.post("voucher-1")
    assert await balance(db, member.id, company.id) == 30
    await ledger.spend(member.id, company.id, 25, "voucher-2", hold_until=T0 + timedelta(hours=1))
    assert await ledger.settle_due(T0 + timedelta(minutes=59)) == (0, 0)
    assert await ledger.settle_due(T0 + timedelta(hours=1)) == (0, 1)
    assert await balance(db, member.id, company.id) == 30
    assert await check(db) == []


async def test_points_expire_oldest_first_with_a_posting(world):
    ledger, company, member, clock, db = world
    await RuleService(db).set(company.code, {"points_ttl_days": "30"})
    await ledger.deposit(company.id, 100, "top-up")
    await ledger.award_points(member.id, company.id, 10, "old", "old")
    clock.now = T0 + timedelta(days=10)
    await ledger.award_points(member.id, company.id, 10, "new", "new")
    await ledger.spend(member.id, company.id, 5, "spend")  # from the older lot
    reminders = await ledger.reminders_due(T0 + timedelta(days=24))
    assert [(r.telegram_id, r.points) for r in reminders] == [(42, 5)]
    assert await ledger.reminders_due(T0 + timedelta(days=24)) == []
    assert await ledger.expire_due(T0 + timedelta(days=30)) == 5
    assert await ledger.expire_due(T0 + timedelta(days=30)) == 0
    assert await balance(db, member.id, company.id) == 10
    assert await ledger.expire_due(T0 + timedelta(days=40)) == 10
    assert await balance(db, member.id, company.id) == 0
    history = (await WalletService(db).wallet(member.id)).history
    assert [h.kind for h in history][:2] == ["expire", "expire"]
    assert await check(db) == []
