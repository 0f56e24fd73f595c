"""Review points a short deposit refused are owed, and credited once it allows."""

from __future__ import annotations

from datetime import UTC, datetime

from referral.companies import CompanyService
from referral.ledger.check import check
from referral.ledger.ledger import Ledger
from referral.ledger.services import build_loyalty
from referral.links import LinkTarget
from referral.members import MemberService
from referral.roles import RoleService

NOW = datetime(2026, 3, 1, tzinfo=UTC)


async def test_refused_review_points_arrive_once_the_deposit_allows(db):
    company = await CompanyService(db).add("Acme", "acme")
    loyalty = build_loyalty(db, Ledger(db, lambda: NOW), b"k")
    await loyalty.catalog.import_csv("acme", "code,name,category,price\nlatte,Latte,coffee,250\n")
    await loyalty.rules.set("acme", {"review_points": "30", "return_window_days": "0"})
    member, _ = await MemberService(db, RoleService(db, frozenset())).accept_consent(
        5, LinkTarget("acme"), "ru"
    )
    await loyalty.purchases.import_csv(
        "acme", f"client,service,amount,time\n{member.pseudonym},latte,250,2026-02-25T10:00:00\n"
    )
    (purchase,) = await loyalty.reviews.reviewable(member.id)

    left = await loyalty.reviews.leave(member.id, purchase.purchase_id, 5)
    assert left.points == 0 and left.shortfall is not None
    assert await loyalty.reviews.credit_owed() == 0  # the deposit is still empty
    assert (await loyalty.wallet.wallet(member.id)).balances == []

    await loyalty.ledger.deposit(company.id, 1_000, "top-up")
    assert await loyalty.reviews.credit_owed() == 1
    assert await loyalty.reviews.credit_owed() == 0  # owed once, credited once
    assert (await loyalty.wallet.wallet(member.id)).balances[0].points == 30
    assert await check(db) == []
