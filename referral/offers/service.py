"""OfferService: offers for a member, their answers, leads, location ranking.

Every shown offer is a row; its buttons carry the row id, and the server
accepts an answer only from the member it was shown to, only once (a
conditional UPDATE on status 'shown', atomic on SQLite and PostgreSQL), so a
forged, foreign or replayed press creates no lead and no second feedback.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.errors import DomainError
from referral.leads.calibration import Calibrations
from referral.leads.intake import offer_accepted, offer_declined
from referral.ledger.activity_models import Purchase
from referral.ledger.ledger import Ledger
from referral.models import Member
from referral.offers import candidates as cand
from referral.offers.candidates import ModelView
from referral.offers.geo import haversine_km
from referral.offers.incentives import Bought, Offered, habits_of, with_incentives
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
from referral.offers.shared import Catalogue, SharedOffers
from referral.offers.store import ModelStore
from referral.offers.views import OfferView, offer_view
from referral.stamps import bump, version_of


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

    async def offers_for(
        self, member_id: int, n: int | None = None, now: datetime | None = None
    ) -> list[OfferView]:
        """Up to n offers, best first; each is (re)recorded as a shown offer row."""
        now = now or datetime.now(UTC)
        n = n or self.max_offers
        async with self.db() as session:
            found = await _member_context(session, member_id, now - self.cooldown)
        if found is None:
            return []
        ctx, bought, version = found
        catalogue = await self.shared.catalogue(version)
        view = self._model_view()
        counted = [] if view.popular else (await self.shared.counted()).popular
        # One more than asked: an upsell may take the place of one of them.
        calibration = await self.calibrations.refresh()
        picked = cand.rank(
            view,
            catalogue,
            counted,
            ctx,
            n + 1,
            now.timestamp(),
            self.default_threshold,
            calibration.probability,
        )
        offered = with_incentives(picked, habits_of(bought, now), catalogue, ctx.excluded, n)
        if not offered:
            return []
        async with self.db.begin() as session:
            rows = await _shown(session, member_id, offered, catalogue, now)
        services = catalogue.services
        return [
            offer_view(
                row,
                services[row.service_id],
                services.get(row.related_service_id or 0),
                services.get(row.usual_service_id or 0),
            )
            for row in rows
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


async def _member_context(
    session: AsyncSession, member_id: int, declined_since: datetime
) -> tuple[cand.MemberContext, list[Bought], int | None] | None:
    """The member's own rows (each read by an index on member_id) and the
    shared state's change stamp, which rides along with the first read."""
    found = (
        await session.execute(select(Member, version_of()).where(Member.id == member_id))
    ).first()
    if found is None or found[0].erased_at is not None:
        return None
    member, version = found
    bought = [
        Bought(service_id, amount, _aware(at))
        for service_id, amount, at in await session.execute(
            select(Purchase.service_id, Purchase.amount_minor, Purchase.purchased_at).where(
                Purchase.member_id == member_id, Purchase.status == "completed"
            )
        )
    ]
    excluded = (
        await session.scalars(
            select(OfferFeedback.service_id)
            .where(
                OfferFeedback.member_id == member_id,
                OfferFeedback.value == -1,
                OfferFeedback.created_at > declined_since,
            )
            .union_all(select(Lead.service_id).where(Lead.member_id == member_id))
        )
    ).all()
    ctx = cand.MemberContext(
        pseudonym=member.pseudonym,
        bought={str(b.service_id) for b in bought},
        excluded={str(s) for s in excluded},
    )
    return ctx, bought, version


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they are UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _shown(
    session: AsyncSession,
    member_id: int,
    offered: list[Offered],
    catalogue: Catalogue,
    now: datetime,
) -> list[ShownOffer]:
    # An unanswered offer of the same service is shown again rather than duplicated,
    # so old messages and new ones carry the same id.
    open_rows = (
        await session.scalars(
            select(ShownOffer)
            .where(
                ShownOffer.member_id == member_id,
                ShownOffer.status == SHOWN,
                ShownOffer.service_id.in_([o.candidate.service_id for o in offered]),
            )
            .order_by(ShownOffer.id)
        )
    ).all()
    latest = {row.service_id: row for row in open_rows}  # the newest wins
    rows = []
    for offer in offered:
        c = offer.candidate
        row = latest.get(c.service_id)
        if row is not None:  # shown again: with what it promises now
            _promise(row, offer)
        else:
            row = ShownOffer(
                member_id=member_id,
                company_id=catalogue.services[c.service_id].company_id,
                service_id=c.service_id,
                score=c.score,
                reason=c.reason,
                related_service_id=c.related_service_id,
                status=SHOWN,
                created_at=now,
            )
            _promise(row, offer)
            session.add(row)
        rows.append(row)
    await session.flush()
    return rows


def _promise(row: ShownOffer, offer: Offered) -> None:
    row.reason = offer.candidate.reason
    row.related_service_id = offer.candidate.related_service_id
    row.extra_cashback_bp = offer.extra_cashback_bp
    row.spend_drop_bp = offer.spend_drop_bp
    row.usual_service_id = offer.usual_service_id
    row.usual_minor = offer.usual_minor


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
