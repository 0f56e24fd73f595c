"""OfferService: offers for a member, their answers, leads, location ranking.

Every shown offer is a row; its buttons carry the row id, and the server
accepts an answer only from the member it was shown to, only once (a
conditional UPDATE on status 'shown', atomic on SQLite and PostgreSQL), so a
forged, foreign or replayed press creates no lead and no second feedback.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.errors import DomainError
from referral.ledger.activity_models import Purchase
from referral.ledger.catalogue_models import Outlet, Service
from referral.models import Member
from referral.offers import candidates as cand
from referral.offers.frames import catalogue_frame, cross_frame
from referral.offers.geo import haversine_km
from referral.offers.leads import LeadView, company_leads
from referral.offers.models import (
    ACCEPTED,
    DECLINED,
    SHOWN,
    Lead,
    OfferFeedback,
    OfferSettings,
    ShownOffer,
)
from referral.offers.store import ModelStore
from referral.offers.views import OfferView, render_views


class OfferGone(DomainError):
    """Not this member's offer, or already answered."""


class OfferService:
    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        data_dir: str | Path,
        max_offers: int = 3,
        cooldown_days: float = 30.0,
        default_threshold: float = 0.0,
    ) -> None:
        self.db = db
        self.store = ModelStore(data_dir)
        self.max_offers = max_offers
        self.cooldown = timedelta(days=cooldown_days)
        self.default_threshold = default_threshold

    async def offers_for(
        self, member_id: int, n: int | None = None, now: datetime | None = None
    ) -> list[OfferView]:
        """Up to n offers, best first; each is (re)recorded as a shown offer row."""
        now = now or datetime.now(UTC)
        n = n or self.max_offers
        async with self.db() as session:
            ctx = await self._context(session, member_id, now)
        if ctx is None:
            return []
        model, extras = self.store.current()
        picked = cand.rank(
            model,
            extras.economics if extras else None,
            ctx,
            n,
            now.timestamp(),
            self.default_threshold,
        )
        async with self.db.begin() as session:
            rows = [await _shown(session, member_id, c, now) for c in picked]
            return await render_views(session, rows)

    async def rerank_by_location(
        self, member_id: int, lat: float, lon: float, now: datetime | None = None
    ) -> list[OfferView]:
        """The member's offers, nearest partner outlet first (no outlet: last)."""
        views = await self.offers_for(member_id, now=now)
        async with self.db() as session:
            outlets = (
                await session.execute(
                    select(Outlet.company_id, Outlet.lat, Outlet.lon).where(
                        Outlet.company_id.in_({v.company_id for v in views})
                    )
                )
            ).all()
        nearest: dict[int, float] = {}
        for company_id, o_lat, o_lon in outlets:
            d = haversine_km(lat, lon, o_lat, o_lon)
            nearest[company_id] = min(d, nearest.get(company_id, d))
        placed = [v.at_distance(nearest.get(v.company_id)) for v in views]
        return sorted(placed, key=lambda v: (v.distance_km is None, v.distance_km or 0.0))

    async def accept(self, offer_id: int, member_id: int, now: datetime | None = None) -> Lead:
        """A lead for the partner and +1 feedback; OfferGone for a forged or repeated press."""
        now = now or datetime.now(UTC)
        async with self.db.begin() as session:
            offer = await _resolve(session, offer_id, member_id, ACCEPTED, now)
            session.add(_feedback(offer, 1, now))
            lead = Lead(
                offer_id=offer.id,
                company_id=offer.company_id,
                service_id=offer.service_id,
                member_id=member_id,
                created_at=now,
            )
            session.add(lead)
        return lead

    async def decline(self, offer_id: int, member_id: int, now: datetime | None = None) -> None:
        """-1 feedback; the service is not offered again during the cool-down."""
        now = now or datetime.now(UTC)
        async with self.db.begin() as session:
            offer = await _resolve(session, offer_id, member_id, DECLINED, now)
            session.add(_feedback(offer, -1, now))

    async def leads_of(self, company_id: int, limit: int = 20) -> list[LeadView]:
        """The company's latest leads: pseudonym, service, profile bands only."""
        return await company_leads(self.db, company_id, limit)

    async def set_threshold(self, company_id: int, threshold: float) -> None:
        async with self.db.begin() as session:
            row = await session.get(OfferSettings, company_id)
            if row is None:
                session.add(OfferSettings(company_id=company_id, relevance_threshold=threshold))
            else:
                row.relevance_threshold = threshold

    async def _context(
        self, session: AsyncSession, member_id: int, now: datetime
    ) -> cand.MemberContext | None:
        member = await session.get(Member, member_id)
        if member is None or member.erased_at is not None:
            return None
        bought = set(
            map(
                str,
                (
                    await session.scalars(
                        select(Purchase.service_id).where(
                            Purchase.member_id == member_id, Purchase.status == "completed"
                        )
                    )
                ).all(),
            )
        )
        declined = (
            await session.scalars(
                select(OfferFeedback.service_id).where(
                    OfferFeedback.member_id == member_id,
                    OfferFeedback.value == -1,
                    OfferFeedback.created_at > now - self.cooldown,
                )
            )
        ).all()
        taken = (
            await session.scalars(select(Lead.service_id).where(Lead.member_id == member_id))
        ).all()
        catalogue = await catalogue_frame(session)
        counts = dict(
            (
                await session.execute(
                    select(Purchase.service_id, func.count(func.distinct(Purchase.member_id)))
                    .where(Purchase.status == "completed")
                    .group_by(Purchase.service_id)
                )
            ).all()
        )
        thresholds = dict(
            (
                await session.execute(
                    select(OfferSettings.company_id, OfferSettings.relevance_threshold)
                )
            ).all()
        )
        return cand.MemberContext(
            pseudonym=member.pseudonym,
            bought=bought,
            excluded={str(s) for s in (*declined, *taken)},
            catalogue=catalogue[catalogue["active"]],
            thresholds=thresholds,
            cross=await cross_frame(session),
            purchase_counts={str(k): int(v) for k, v in counts.items()},
        )


async def _shown(
    session: AsyncSession, member_id: int, c: cand.Candidate, now: datetime
) -> ShownOffer:
    # An unanswered offer of the same service is shown again rather than duplicated,
    # so old messages and new ones carry the same id.
    row = await session.scalar(
        select(ShownOffer)
        .where(
            ShownOffer.member_id == member_id,
            ShownOffer.service_id == c.service_id,
            ShownOffer.status == SHOWN,
        )
        .order_by(ShownOffer.id.desc())
        .limit(1)
    )
    if row is None:
        company_id = await session.scalar(
            select(Service.company_id).where(Service.id == c.service_id)
        )
        row = ShownOffer(
            member_id=member_id,
            company_id=company_id,
            service_id=c.service_id,
            score=c.score,
            reason=c.reason,
            related_service_id=c.related_service_id,
            status=SHOWN,
            created_at=now,
        )
        session.add(row)
        await session.flush()
    return row


async def _resolve(
    session: AsyncSession, offer_id: int, member_id: int, status: str, now: datetime
) -> ShownOffer:
    result = await session.execute(
        update(ShownOffer)
        .where(
            ShownOffer.id == offer_id, ShownOffer.member_id == member_id, ShownOffer.status == SHOWN
        )
        .values(status=status, resolved_at=now)
    )
    if result.rowcount != 1:
        raise OfferGone(f"offer {offer_id} is not an open offer of this member")
    offer = await session.get(ShownOffer, offer_id)
    assert offer is not None
    return offer


def _feedback(offer: ShownOffer, value: int, now: datetime) -> OfferFeedback:
    """What the recommender learns from a press: +1 accepted, -1 declined."""
    return OfferFeedback(
        offer_id=offer.id,
        member_id=offer.member_id,
        service_id=offer.service_id,
        value=value,
        created_at=now,
    )
