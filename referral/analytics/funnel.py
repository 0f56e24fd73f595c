"""The lead funnel and review averages of one company.

Stages: offered (offers of the company's services shown to members),
accepted (of those, accepted), then the leads by status: delivered counts
every lead that reached the partner (delivered, won or lost), won and lost
as the partner reported them. Lead statuses come from whatever the lead
pipeline has written; a status this code does not know is left out, so the
funnel degrades to offered and accepted where the pipeline is not running.
Conversion is won / delivered; ARPPU is revenue per paying member over the
last 90 days.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from referral.analytics.figures import ratio, shown
from referral.ledger.activity_models import Review
from referral.ledger.catalogue_models import Service
from referral.offers.models import ACCEPTED, Lead, ShownOffer

REACHED_PARTNER = ("delivered", "won", "lost")
ARPPU_DAYS = 90


@dataclass(frozen=True)
class Funnel:
    offered: int = 0
    accepted: int = 0
    leads: dict[str, int] = field(default_factory=dict)
    reviews: list[tuple[str, int, float]] = field(default_factory=list)  # service, count, mean

    def as_dict(self, days: pd.DataFrame, today: int, floor: int) -> dict:
        delivered = sum(self.leads.get(status, 0) for status in REACHED_PARTNER)
        won, lost = self.leads.get("won", 0), self.leads.get("lost", 0)
        recent = days[days["day"] > today - ARPPU_DAYS] if len(days) else days
        payers = int(recent["member_id"].nunique()) if len(recent) else 0
        arppu = ratio(float(recent["revenue_minor"].sum()) if payers else 0, payers, floor)
        conversion = ratio(won, delivered, floor) if won >= floor else None
        return {
            "stages": [
                {"stage": "offered", "count": shown(self.offered, floor)},
                {"stage": "accepted", "count": shown(self.accepted, floor)},
                {"stage": "delivered", "count": shown(delivered, floor)},
                {"stage": "won", "count": shown(won, floor)},
                {"stage": "lost", "count": shown(lost, floor)},
            ],
            "conversion": round(conversion, 4) if conversion is not None else None,
            "arppu_minor": round(arppu) if arppu is not None else None,
            "reviews": [
                {
                    "service": service,
                    "reviews": shown(count, floor),
                    "average": round(mean, 2) if count >= floor else None,
                }
                for service, count, mean in self.reviews
            ],
        }


async def load_funnel(session: AsyncSession, company_id: int) -> Funnel:
    offers = dict(
        (
            await session.execute(
                select(ShownOffer.status, func.count())
                .where(ShownOffer.company_id == company_id)
                .group_by(ShownOffer.status)
            )
        ).all()
    )
    leads = dict(
        (
            await session.execute(
                select(Lead.status, func.count())
                .where(Lead.company_id == company_id)
                .group_by(Lead.status)
            )
        ).all()
    )
    reviews = (
        await session.execute(
            select(Service.name, func.count(), func.avg(Review.rating))
            .join(Service, Service.id == Review.service_id)
            .where(Review.company_id == company_id)
            .group_by(Service.name)
            .order_by(Service.name)
        )
    ).all()
    return Funnel(
        offered=sum(offers.values()),
        accepted=int(offers.get(ACCEPTED, 0)),
        leads={str(k): int(v) for k, v in leads.items()},
        reviews=[(name, int(count), float(mean)) for name, count, mean in reviews],
    )
