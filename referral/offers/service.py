"""OfferService: offers for a member, their answers, leads, location ranking.

Every shown offer is a row; its buttons carry the row id, and the server
accepts an answer only from the member it was shown to, only once (a
conditional UPDATE on status 'shown', atomic on SQLite and PostgreSQL), so a
forged, foreign or replayed press creates no lead and no second feedback.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.errors import DomainError
from referral.group_commit import GroupCommitter
from referral.leads.calibration import Calibrations
from referral.leads.intake import offer_accepted, offer_declined
from referral.ledger.ledger import Ledger
from referral.offers import candidates as cand
from referral.offers.candidates import ModelView
from referral.offers.geo import haversine_km
from referral.offers.incentives import habits_of, with_incentives
from referral.offers.models import (
    ACCEPTED,
    DECLINED,
    SHOWN,
    Lead,
    OfferFeedback,
    OfferSettings,
    ShownOffer,
)
from referral.offers.payouts import RetentionBonus, pay_retention_bonus
from referral.offers.shared import SharedOffers
from referral.offers.showing import ShowRequest, member_rows, record_shown
from referral.offers.store import ModelStore
from referral.offers.views import OfferView, offer_view
from referral.stamps import bump


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
        ledger: Ledger | None = None,
    ) -> None:
        self.db = db
        self.ledger = ledger or Ledger(db)
        self.store = ModelStore(data_dir)
        self.shared = SharedOffers(db)
        self.max_offers = max_offers
        self.cooldown = timedelta(days=cooldown_days)
        self.default_threshold = default_threshold
        # The relevance floor is read on this calibration, here and in the lead pipeline.
        self.calibrations = Calibrations(db, data_dir)
        self._view: tuple[object, object, ModelView] | None = None  # (model, extras, view)
        self._shows = GroupCommitter(self._show_all)

    async def offers_for(
        self, member_id: int, n: int | None = None, now: datetime | None = None
    ) -> list[OfferView]:
        """Up to n offers, best first; each is (re)recorded as a shown offer row.

        Requests that arrive while a batch is under way share the next one
        (referral.offers.showing)."""
        now = now or datetime.now(UTC)
        return await self._shows.submit(
            ShowRequest(member_id, n or self.max_offers, now, now - self.cooldown)
        )

    async def _show_all(self, batch: Sequence[ShowRequest]) -> list[list[OfferView]]:
        async with self.db() as session:
            rows, version = await member_rows(session, batch)
        if not any(rows):
            return [[] for _ in batch]
        catalogue = await self.shared.catalogue(version)
        view = self._model_view()
        counted = [] if view.popular else (await self.shared.counted()).popular
        calibration = await self.calibrations.refresh()
        offered = []
        for request, found in zip(batch, rows, strict=True):
            if found is None:
                offered.append((request, []))
                continue
            # One more than asked: an upsell may take the place of one of them.
            picked = cand.rank(
                view,
                catalogue,
                counted,
                found.ctx,
                request.n + 1,
                request.now.timestamp(),
                self.default_threshold,
                calibration.probability,
            )
            habits = habits_of(found.bought, request.now)
            offered.append(
                (request, with_incentives(picked, habits, catalogue, found.ctx.excluded, request.n))
            )
        if any(offers for _, offers in offered):
            async with self.db.begin() as session:
                shown = await record_shown(session, offered, catalogue)
        else:
            shown = [[] for _ in batch]
        services = catalogue.services
        return [
            [
                offer_view(
                    row,
                    services[row.service_id],
                    services.get(row.related_service_id or 0),
                    services.get(row.usual_service_id or 0),
                )
                for row in rows_of_request
            ]
            for rows_of_request in shown
        ]

    async def retention_bonus(
        self, member_id: int, views: list[OfferView], now: datetime | None = None
    ) -> RetentionBonus | None:
        """Bonus points with a retention offer, from the first partner among
        ``views`` whose rules give them; None when none does or it was paid
        this period (the idempotency key makes a second run pay nothing)."""
        now = now or datetime.now(UTC)
        async with self.db.begin() as session:
            return await pay_retention_bonus(
                session, self.ledger, member_id, [v.company_id for v in views], now
            )

    async def rerank_by_location(
        self, member_id: int, lat: float, lon: float, now: datetime | None = None
    ) -> list[OfferView]:
        """The member's offers, nearest partner outlet first (no outlet: last)."""
        views = await self.offers_for(member_id, now=now)
        outlets = self.shared.outlets_now()
        nearest: dict[int, float] = {}
        for view in views:
            distances = [haversine_km(lat, lon, *at) for at in outlets.get(view.company_id, ())]
            if distances:
                nearest[view.company_id] = min(distances)
        placed = [v.at_distance(nearest.get(v.company_id)) for v in views]
        return sorted(placed, key=lambda v: (v.distance_km is None, v.distance_km or 0.0))

    async def accept(self, offer_id: int, member_id: int, now: datetime | None = None) -> Lead:
        """+1 feedback and the lead at *accepted* (the pipeline delivers it to the
        partner); OfferGone for a forged or repeated press."""
        now = now or datetime.now(UTC)
        async with self.db.begin() as session:
            offer = await _resolve(session, offer_id, member_id, ACCEPTED, now)
            session.add(_feedback(offer, 1, now))
            return await offer_accepted(session, offer, now)

    async def decline(self, offer_id: int, member_id: int, now: datetime | None = None) -> None:
        """-1 feedback; the service is not offered again during the cool-down."""
        now = now or datetime.now(UTC)
        async with self.db.begin() as session:
            offer = await _resolve(session, offer_id, member_id, DECLINED, now)
            session.add(_feedback(offer, -1, now))
            await offer_declined(session, offer, now)

    async def set_threshold(self, company_id: int, threshold: float) -> None:
        async with self.db.begin() as session:
            row = await session.get(OfferSettings, company_id)
            if row is None:
                session.add(OfferSettings(company_id=company_id, relevance_threshold=threshold))
            else:
                row.relevance_threshold = threshold
            await bump(session)

    def _model_view(self) -> ModelView:
        """The serving view of the current model, made again only when the store reloads."""
        model, extras = self.store.current()
        held = self._view
        if held is None or held[0] is not model or held[1] is not extras:
            held = (model, extras, ModelView.of(model, extras.economics if extras else None))
            self._view = held
        return held[2]


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
