"""Purchase files: whole or nothing, line numbers, re-import, reversal voids rewards."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from referral.companies import CompanyService
from referral.ledger.check import check
from referral.ledger.errors import InvalidFile
from referral.ledger.ledger import Ledger
from referral.ledger.services import build_loyalty
from referral.links import LinkTarget
from referral.members import MemberService
from referral.roles import RoleService

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
async def shop(db):
    company = await CompanyService(db).add("Acme", "acme")
    loyalty = build_loyalty(db, Ledger(db, lambda: NOW), b"k")
    await loyalty.catalog.import_csv("acme", "code,name,category,price\nlatte,Latte,coffee,250\n")
    await loyalty.rules.set("acme", {"cashback": "10", "return_window_days": "14"})
    await loyalty.ledger.deposit(company.id, 100_000, "top-up", currency="cashback")
    member, _ = await MemberService(db, RoleService(db, frozenset())).accept_consent(
        5, LinkTarget("acme"), "ru"
    )
    return loyalty, member


async def test_a_bad_row_refuses_the_whole_file_with_its_line(shop):
    loyalty, member = shop
    data = (
        f"client,service,amount,time\n{member.pseudonym},latte,250,2026-02-01T10:00:00\n"
        f"{member.pseudonym},latte,-5,2026-02-01T11:00:00\n"
    )
    with pytest.raises(InvalidFile) as refused:
        await loyalty.purchases.import_csv("acme", data)
    assert refused.value.problems[0][0] == 3
    assert (await loyalty.wallet.wallet(member.id)).balances == []


async def test_reimport_changes_nothing_and_reversal_voids_pending_cashback(shop, db):
    loyalty, member = shop
    row = f"{member.pseudonym},latte,250,2026-02-25T10:00:00,r1"
    data = f"client,service,amount,time,receipt\n{row}\n"
    assert (await loyalty.purchases.import_csv("acme", data)).added == 1
    assert (await loyalty.purchases.import_csv("acme", data)).unchanged == 1
    balance = (await loyalty.wallet.wallet(member.id)).balances[0]
    assert (balance.cashback_minor, balance.cashback_incoming) == (0, 2500)
    reversal = f"client,service,amount,time,receipt,status\n{row},reversed\n"
    assert (await loyalty.purchases.import_csv("acme", reversal)).reversed == 1
    assert await loyalty.ledger.settle_due(datetime(2026, 4, 1, tzinfo=UTC)) == (0, 0)
    balance = (await loyalty.wallet.wallet(member.id)).balances[0]
    assert (balance.cashback_minor, balance.cashback_incoming) == (0, 0)
    assert await check(db) == []
