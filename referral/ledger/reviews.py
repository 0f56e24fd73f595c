"""Reviews: a member rates a recent purchase 1-5, with optional text; one per
purchase; the company's review points are awarded once (by purchase)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.ledger.activity_models import Purchase, Review
from referral.ledger.catalogue_models import Service
from referral.ledger.errors import InsufficientDeposit, ReviewRefused
from referral.ledger.ledger import Ledger
from referral.ledger.rules import rules_of
from referral.ledger.shortfalls import Shortfall, shortfall_of
from referral.models import Company

RECENT = timedelta(days=60)


@dataclass(frozen=True)
class Reviewable:
    purchase_id: int
    service: str
    company: str


@dataclass(frozen=True)
class Rating:
    service: str
    average_tenths: int  # 4.3 is 43: no floats
    count: int


@dataclass(frozen=True)
class Left:
    """A stored review: the points it earned now, or the deposit shortfall that
    refused them (the review stands, and the points are credited once the
    deposit allows: ``ReviewService.credit_owed``)."""

    points: int = 0
    shortfall: Shortfall | None = None


class ReviewService:
    def __init__(self, db: async_sessionmaker[AsyncSession], ledger: Ledger) -> None:
        self.db = db
        self.ledger = ledger

    async def reviewable(self, member_id: int) -> list[Reviewable]:
        since = self.ledger.clock() - RECENT
        async with self.db() as session:
            rows = (
                await session.execute(
                    select(Purchase.id, Service.name, Company.name)
                    .join(Service, Purchase.service_id == Service.id)
                    .join(Company, Purchase.company_id == Company.id)
                    .outerjoin(Review, Review.purchase_id == Purchase.id)
                    .where(
                        Purchase.member_id == member_id,
                        Purchase.status == "completed",
                        Purchase.purchased_at >= since,
                        Review.id.is_(None),
                    )
                    .order_by(Purchase.purchased_at.desc())
                    .limit(10)
                )
            ).all()
        return [Reviewable(*row) for row in rows]

    async def leave(self, member_id: int, purchase_id: int, rating: int, text: str = "") -> Left:
        """Store the review and award the company's review points once."""
        if not 1 <= rating <= 5:
            raise ReviewRefused("rating")
        now = self.ledger.clock()
        try:
            async with self.db.begin() as session:
                purchase = await session.get(Purchase, purchase_id)
                if (
                    purchase is None
                    or purchase.member_id != member_id
                    or purchase.status != "completed"
                ):
                    raise ReviewRefused("not_yours")
                review = Review(
                    purchase_id=purchase.id,
                    member_id=member_id,
                    company_id=purchase.company_id,
                    service_id=purchase.service_id,
                    rating=rating,
                    text=text.strip()[:1000],
                    created_at=now,
                )
                session.add(review)
                await session.flush()
                points = (await rules_of(session, purchase.company_id)).review_points
                if points <= 0:
                    return Left()
                try:
                    await self._award(session, review, points)
                except InsufficientDeposit as refusal:  # the review stands, its points owed
                    review.reward_owed = points
                    return Left(shortfall=await shortfall_of(session, refusal))
                return Left(points)
        except IntegrityError:
            raise ReviewRefused("already_reviewed") from None

    async def credit_owed(self) -> int:
        """Credit review points a short deposit refused, where the deposit now
        allows; how many reviews were credited. The award's key is the one the
        review would have used, so nothing is ever credited twice. A company
        whose deposit is still short is passed over for the rest of the run, so
        its reviews never hold up another company's."""
        async with self.db() as session:
            owed = (
                await session.execute(
                    select(Review.id, Review.company_id)
                    .where(Review.reward_owed.is_not(None))
                    .order_by(Review.id)
                )
            ).all()
        credited, still_short = 0, set()
        for review_id, company_id in owed:
            if company_id in still_short:
                continue
            try:
                async with self.db.begin() as session:
                    review = await session.get(Review, review_id)
                    if review is None or review.reward_owed is None:
                        continue  # credited meanwhile by another process
                    await self._award(session, review, review.reward_owed)
                    review.reward_owed = None
                credited += 1
            except InsufficientDeposit:
                still_short.add(company_id)
        return credited

    async def _award(self, session: AsyncSession, review: Review, points: int) -> None:
        async with session.begin_nested():
            await self.ledger.award_in(
                session,
                review.member_id,
                review.company_id,
                points,
                "review",
                f"review:{review.purchase_id}",
                kind="review",
            )

    async def ratings(self, company_id: int) -> list[Rating]:
        async with self.db() as session:
            rows = (
                await session.execute(
                    select(Service.name, func.sum(Review.rating), func.count(Review.id))
                    .join(Service, Review.service_id == Service.id)
                    .where(Review.company_id == company_id)
                    .group_by(Service.name)
                    .order_by(Service.name)
                )
            ).all()
        return [Rating(name, total * 10 // count, count) for name, total, count in rows]

    async def add_text(self, member_id: int, purchase_id: int, text: str) -> bool:
        """Attach the optional text to the member's own review, once."""
        async with self.db.begin() as session:
            review = await session.scalar(
                select(Review).where(
                    Review.purchase_id == purchase_id, Review.member_id == member_id
                )
            )
            if review is None or review.text or not text.strip():
                return False
            review.text = text.strip()[:1000]
        return True
