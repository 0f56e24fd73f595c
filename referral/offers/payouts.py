"""The incentives offers promise, paid through the ledger from the partner's
deposit, each under an idempotency key so a repeated run pays nothing.

* An accepted offer's extra cashback (upsell, spend drop) is paid when the
  partner reports the member's purchase of that service: once per offer,
  pending through the return window like the partner's own cashback (a
  reversed purchase voids it).
* A retention bonus: points from the first partner among the member's offers
  whose rules give them (``retention_points``), to a member who spent at least
  ``retention_min_spend`` there, once per ``retention_period_days``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from referral.ledger.activity_models import Purchase
from referral.ledger.bookkeeping_models import CASHBACK, POINTS
from referral.ledger.errors import InsufficientDeposit
from referral.ledger.ledger import Ledger
from referral.ledger.rules import rules_of
from referral.offers.models import ACCEPTED, ShownOffer

log = logging.getLogger(__name__)


async def pay_offer_cashback(
    session: AsyncSession, ledger: Ledger, purchase: Purchase, pending_until: datetime
) -> int:
    """The extra cashback of the member's latest accepted offer of this service,
    inside the import's transaction; the amount paid now (0: none or paid before)."""
    offer = await session.scalar(
        select(ShownOffer)
        .where(
            ShownOffer.member_id == purchase.member_id,
            ShownOffer.service_id == purchase.service_id,
            ShownOffer.status == ACCEPTED,
            ShownOffer.extra_cashback_bp > 0,
        )
        .order_by(ShownOffer.id.desc())
        .limit(1)
    )
    if offer is None:
        return 0
    amount = purchase.amount_minor * offer.extra_cashback_bp // 10_000
    if not amount:
        return 0
    _, made = await ledger.award_in(
        session,
        purchase.member_id,
        purchase.company_id,
        amount,
        f"offer {offer.id} cashback",
        f"offer-cashback:{offer.id}",
        kind="offer",
        currency=CASHBACK,
        pending_until=pending_until,
        purchase_id=purchase.id,
    )
    return amount if made else 0


@dataclass(frozen=True)
class RetentionBonus:
    company_id: int
    points: int


async def pay_retention_bonus(
    session: AsyncSession, ledger: Ledger, member_id: int, company_ids: list[int], now: datetime
) -> RetentionBonus | None:
    """Bonus points from the first of ``company_ids`` whose rules give them to
    this member now; None when none does, it was paid this period, or the
    partner's deposit cannot cover it (the offer still goes, without a bonus)."""
    for company_id in dict.fromkeys(company_ids):
        rules = await rules_of(session, company_id)
        if rules.retention_points <= 0:
            continue
        spent = await session.scalar(
            select(func.coalesce(func.sum(Purchase.amount_minor), 0)).where(
                Purchase.member_id == member_id,
                Purchase.company_id == company_id,
                Purchase.status == "completed",
            )
        )
        if spent < rules.retention_min_spend_minor:
            continue
        period = int(now.timestamp() // (rules.retention_period_days * 86_400))
        try:
            async with session.begin_nested():
                _, made = await ledger.award_in(
                    session,
                    member_id,
                    company_id,
                    rules.retention_points,
                    "retention bonus",
                    f"retention:{member_id}:{company_id}:{period}",
                    kind="retention",
                    currency=POINTS,
                )
        except InsufficientDeposit:
            log.warning("retention bonus of company %s refused: deposit too small", company_id)
            continue
        return RetentionBonus(company_id, rules.retention_points) if made else None
    return None
