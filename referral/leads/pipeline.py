"""The lead pipeline pass: pending -> processed -> waiting -> offered, and
accepted -> delivered, plus expiry.

Each stage reads a batch of leads, does its work outside any transaction
(scoring opens its own), then claims the batch in one write transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one writer) and moves
each lead with a conditional UPDATE (states.move). A lead is therefore moved
by exactly one pass however the passes interleave, and a pass killed at any
point leaves every lead in a state the next pass takes on from: nothing lost,
nothing made twice. Sending happens in the bot (``LeadSender``): the offer
message goes out before its lead is marked offered, so a kill in between sends
it once more (the same shown offer, whose buttons answer once) rather than
never; partner notices likewise.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.leads import states
from referral.leads.calibration import Calibration
from referral.leads.intake import deliver_lead
from referral.leads.models import ClientCard, LeadTransition
from referral.leads.webhooks import WebhookOutbox
from referral.ledger.catalogue_models import Service
from referral.models import Company, Member, RoleGrant
from referral.offers.models import SHOWN, Lead, ShownOffer
from referral.offers.service import OfferService

log = logging.getLogger(__name__)

SENT, UNREACHABLE, RETRY = "sent", "unreachable", "retry"
# The job lease every pass takes, scheduled or `refbot leads run`: one pass at a time.
PIPELINE_LEASE = "leads-pipeline"


@dataclass(frozen=True)
class OfferToSend:
    lead_id: int
    offer_id: int  # the shown offer whose buttons the member answers
    telegram_id: int
    language: str | None
    company: str
    service: str
    probability: float


@dataclass(frozen=True)
class PartnerNotice:
    lead_id: int
    company: str
    service: str
    pseudonym: str
    chats: tuple[tuple[int, str | None], ...]  # partner admins: telegram id, language


class LeadSender(Protocol):
    """What the bot does for the pipeline (the domain never imports aiogram)."""

    async def offer(self, offer: OfferToSend) -> str: ...  # SENT, UNREACHABLE or RETRY

    async def tell_partner(self, notice: PartnerNotice) -> None: ...


@dataclass
class PassReport:
    moved: dict[str, int] = field(default_factory=dict)

    def count(self, status: str, n: int = 1) -> None:
        self.moved[status] = self.moved.get(status, 0) + n

    def __str__(self) -> str:
        return ", ".join(f"{n} {s}" for s, n in sorted(self.moved.items())) or "nothing to do"


def in_quiet_hours(now: datetime, zone: ZoneInfo, window: tuple[time, time] | None) -> bool:
    if window is None:
        return False
    local = now.astimezone(zone).time()
    start, end = window
    return start <= local < end if start < end else local >= start or local < end


class LeadPipeline:
    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        offers: OfferService,
        webhooks: WebhookOutbox,
        *,
        zone: ZoneInfo,
        quiet_window: tuple[time, time] | None,
        weekly_cap: int = 2,
        expire_after: timedelta = timedelta(days=7),
        batch: int = 500,
        pool: int = 5,
    ) -> None:
        self.db, self.offers, self.webhooks = db, offers, webhooks
        self.zone, self.quiet_window = zone, quiet_window
        self.weekly_cap, self.expire_after = weekly_cap, expire_after
        self.batch, self.pool = batch, pool

    async def run(self, sender: LeadSender, now: datetime | None = None) -> PassReport:
        """One pass over every stage, each until its queue is empty."""
        now = now or datetime.now(UTC)
        report = PassReport()
        report.count(states.EXPIRED, await self.expire(now))
        while await self.process(now, report):
            pass
        while await self.pick(now, report):
            pass
        after: int | None = 0
        while after is not None:
            offers, after = await self.due_offers(now, after)
            await self._send(sender, offers, now, report)
        while moved := await self.deliver(now):
            report.count(states.DELIVERED, moved)
        while notices := await self.notices():
            for notice in notices:
                await sender.tell_partner(notice)
                await self.notified(notice.lead_id, now)
        return report

    async def _send(
        self, sender: LeadSender, offers: list[OfferToSend], now: datetime, report: PassReport
    ) -> None:
        for offer in offers:
            outcome = await sender.offer(offer)
            if outcome == SENT and await self.mark(
                offer.lead_id, states.OFFERED, "sent in the bot", now
            ):
                report.count(states.OFFERED)
            elif outcome == UNREACHABLE and await self.mark(
                offer.lead_id, states.REJECTED, "member unreachable in the bot", now
            ):
                report.count(states.REJECTED)

    # pending -> processed | rejected
    async def process(self, now: datetime, report: PassReport | None = None) -> int:
        async with self.db() as session:
            batch = (
                await session.execute(
                    select(Lead.id, Lead.member_id, ClientCard.company_id)
                    .join(ClientCard, ClientCard.id == Lead.card_id)
                    .where(Lead.status == states.PENDING)
                    .order_by(Lead.id)
                    .limit(self.batch)
                )
            ).all()
            if not batch:
                return 0
        # /offers reads the floor on this same calibration: it is applied there, once.
        calibration = await self.offers.calibrations.refresh(force=True)
        offered = {
            lead_id: await self._offer_ids(member_id, card_company, now)
            for lead_id, member_id, card_company in batch
        }
        scored = await self._scored(offered, calibration)
        async with self.db.begin() as session:  # one write transaction for the batch
            for lead_id in await _claim_all(session, list(offered), states.PENDING):
                candidates = scored[lead_id]
                if candidates:
                    best = max(float(c["probability"]) for c in candidates)
                    status, reason = (
                        states.PROCESSED,
                        f"{len(candidates)} partner service(s) scored, best p={best:.2f}"
                        + ("" if calibration.fitted else " (uncalibrated)"),
                    )
                    values = {"candidates": json.dumps(candidates)}
                else:
                    status = states.REJECTED
                    reason, values = "no other partner's service over its relevance floor", {}
                moved = await states.move(
                    session, lead_id, states.PENDING, status, reason, now, **values
                )
                if moved and report is not None:
                    report.count(status)
        return len(batch)

    async def _offer_ids(self, member_id: int, card_company: int, now: datetime) -> list[int]:
        """The member's offers of other partners, one per category as /offers
        resolves conflicts (each a shown offer row, re-used while unanswered)."""
        views = await self.offers.offers_for(member_id, n=self.pool, now=now)
        return [view.offer_id for view in views if view.company_id != card_company]

    async def _scored(
        self, offered: dict[int, list[int]], calibration: Calibration
    ) -> dict[int, list[dict[str, object]]]:
        """Each lead's offers (over their company's floor already: offers_for cut
        them there) with their calibrated probability."""
        ids = {offer_id for offer_ids in offered.values() for offer_id in offer_ids}
        rows: dict[int, tuple[int, int, float]] = {}
        if ids:
            async with self.db() as session:
                for offer_id, service_id, company_id, score in await session.execute(
                    select(
                        ShownOffer.id,
                        ShownOffer.service_id,
                        ShownOffer.company_id,
                        ShownOffer.score,
                    ).where(ShownOffer.id.in_(ids))
                ):
                    rows[offer_id] = (service_id, company_id, float(score))
        scored: dict[int, list[dict[str, object]]] = {}
        for lead_id, offer_ids in offered.items():
            kept = []
            for offer_id in offer_ids:
                service_id, company_id, score = rows[offer_id]
                kept.append(
                    {
                        "offer_id": offer_id,
                        "service_id": service_id,
                        "company_id": company_id,
                        "probability": round(calibration.probability(score), 4),
                    }
                )
            scored[lead_id] = kept
        return scored

    # processed -> waiting | rejected
    async def pick(self, now: datetime, report: PassReport | None = None) -> int:
        async with self.db() as session:
            batch = (
                await session.execute(
                    select(Lead.id, Lead.candidates)
                    .where(Lead.status == states.PROCESSED)
                    .order_by(Lead.id)
                    .limit(self.batch)
                )
            ).all()
        if not batch:
            return 0
        value = self._expected_value()
        ranked = {
            lead_id: sorted(json.loads(raw or "[]"), key=value, reverse=True)
            for lead_id, raw in batch
        }
        async with self.db.begin() as session:  # one write transaction for the batch
            claimed = await _claim_all(session, list(ranked), states.PROCESSED)
            open_offers = await _open_offers(
                session, {c["offer_id"] for lead_id in claimed for c in ranked[lead_id]}
            )
            for lead_id in claimed:
                candidates = ranked[lead_id]
                chosen = next((c for c in candidates if c["offer_id"] in open_offers), None)
                if chosen is None:
                    moved = await states.move(
                        session,
                        lead_id,
                        states.PROCESSED,
                        states.REJECTED,
                        "every candidate offer was answered or taken meanwhile",
                        now,
                    )
                    status = states.REJECTED
                else:
                    open_offers.discard(chosen["offer_id"])  # one lead per shown offer
                    moved = await states.move(
                        session,
                        lead_id,
                        states.PROCESSED,
                        states.WAITING,
                        f"service {chosen['service_id']} of company {chosen['company_id']} "
                        f"chosen of {len(candidates)} by p x conversion x ARPPU",
                        now,
                        offer_id=chosen["offer_id"],
                        company_id=chosen["company_id"],
                        service_id=chosen["service_id"],
                        probability=chosen["probability"],
                    )
                    status = states.WAITING
                if moved and report is not None:
                    report.count(status)
        return len(batch)

    def _expected_value(self):  # type: ignore[no-untyped-def]
        """Conflicts between partners go to the higher p x conversion x ARPPU
        (the trained service economics); without them, to the higher p."""
        _, extras = self.offers.store.current()
        economics = getattr(extras, "economics", None)
        worth: dict[str, float] = {}
        if economics is not None and len(economics):
            for item, conversion, arppu in zip(
                economics["item_id"], economics["conversion"], economics["arppu"], strict=True
            ):
                worth[str(item)] = float(conversion) * max(float(arppu), 1.0)
        return lambda c: (c["probability"] * worth.get(str(c["service_id"]), 1.0), c["probability"])

    # waiting -> offered (the bot sends, then marks)
    async def due_offers(
        self, now: datetime, after: int = 0
    ) -> tuple[list[OfferToSend], int | None]:
        """A page of waiting leads past id ``after`` that may go out now, and the
        id to go on after (None: no more). A member at the weekly cap is skipped:
        their lead stays waiting (next week, or it expires)."""
        if in_quiet_hours(now, self.zone, self.quiet_window):
            return [], None
        week_ago = now - timedelta(days=7)
        async with self.db() as session:
            rows = (
                await session.execute(
                    select(
                        Lead.id,
                        Lead.offer_id,
                        Lead.member_id,
                        Member.telegram_id,
                        Member.language,
                        Company.name,
                        Service.name,
                        Lead.probability,
                    )
                    .join(Member, Member.id == Lead.member_id)
                    .join(Company, Company.id == Lead.company_id)
                    .join(Service, Service.id == Lead.service_id)
                    .join(ShownOffer, ShownOffer.id == Lead.offer_id)
                    .where(
                        Lead.status == states.WAITING,
                        Lead.id > after,
                        ShownOffer.status == SHOWN,
                        Member.telegram_id.is_not(None),
                        Member.erased_at.is_(None),
                    )
                    .order_by(Lead.id)
                    .limit(self.batch)
                )
            ).all()
            members = {row[2] for row in rows}
            offered = (
                dict(
                    (
                        await session.execute(
                            select(Lead.member_id, func.count())
                            .join(LeadTransition, LeadTransition.lead_id == Lead.id)
                            .where(
                                Lead.member_id.in_(members),
                                LeadTransition.to_status == states.OFFERED,
                                LeadTransition.at > week_ago,
                            )
                            .group_by(Lead.member_id)
                        )
                    ).all()
                )
                if members
                else {}
            )
        due = []
        for lead_id, offer_id, member_id, chat, language, company, service, p in rows:
            if offered.get(member_id, 0) >= self.weekly_cap:
                continue  # stays waiting: next week, or it expires
            offered[member_id] = offered.get(member_id, 0) + 1
            due.append(OfferToSend(lead_id, offer_id, chat, language, company, service, p or 0.0))
        return due, (rows[-1][0] if rows else None)

    async def mark(self, lead_id: int, to_status: str, reason: str, now: datetime) -> bool:
        async with self.db.begin() as session:
            return await states.move(session, lead_id, states.WAITING, to_status, reason, now)

    # accepted -> delivered, with the webhook event in the same transaction. Accept
    # itself delivers (intake.py); this picks up any lead left accepted.
    async def deliver(self, now: datetime) -> int:
        async with self.db() as session:
            batch = (
                await session.scalars(
                    select(Lead.id)
                    .where(Lead.status == states.ACCEPTED)
                    .order_by(Lead.id)
                    .limit(self.batch)
                )
            ).all()
        moved = 0
        async with self.db.begin() as session:  # one write transaction for the batch
            for lead_id in await _claim_all(session, list(batch), states.ACCEPTED):
                moved += await deliver_lead(session, lead_id, now)
        return moved

    async def notices(self) -> list[PartnerNotice]:
        """Delivered leads whose partner admins have not been told yet."""
        async with self.db() as session:
            rows = (
                await session.execute(
                    select(Lead.id, Lead.company_id, Company.name, Service.name, Member.pseudonym)
                    .join(Company, Company.id == Lead.company_id)
                    .join(Service, Service.id == Lead.service_id)
                    .join(Member, Member.id == Lead.member_id)
                    .where(Lead.status.in_(states.VISIBLE_TO_PARTNER), Lead.notified_at.is_(None))
                    .order_by(Lead.id)
                    .limit(self.batch)
                )
            ).all()
            companies = {row[1] for row in rows}
            admins: dict[int, list[tuple[int, str | None]]] = {}
            if companies:
                for company_id, chat, language in (
                    await session.execute(
                        select(RoleGrant.company_id, RoleGrant.telegram_id, Member.language)
                        .outerjoin(Member, Member.telegram_id == RoleGrant.telegram_id)
                        .where(RoleGrant.role == "partner", RoleGrant.company_id.in_(companies))
                    )
                ).all():
                    admins.setdefault(company_id, []).append((chat, language))
        return [
            PartnerNotice(lead_id, company, service, pseudonym, tuple(admins.get(company_id, ())))
            for lead_id, company_id, company, service, pseudonym in rows
        ]

    async def notified(self, lead_id: int, now: datetime) -> None:
        async with self.db.begin() as session:
            await session.execute(
                update(Lead)
                .where(Lead.id == lead_id, Lead.notified_at.is_(None))
                .values(notified_at=now)
            )

    async def expire(self, now: datetime) -> int:
        """Leads that waited too long for a pass or an answer end as expired."""
        open_states = (states.PENDING, states.PROCESSED, states.WAITING, states.OFFERED)
        async with self.db() as session:
            stale = (
                await session.execute(
                    select(Lead.id, Lead.status).where(
                        Lead.status.in_(open_states), Lead.updated_at < now - self.expire_after
                    )
                )
            ).all()
        expired = 0
        for lead_id, status in stale:
            async with self.db.begin() as session:
                expired += await states.move(
                    session, lead_id, status, states.EXPIRED, "no answer in time", now
                )
        return expired


async def _claim_all(session: AsyncSession, lead_ids: list[int], status: str) -> list[int]:
    """Lock those of the leads still in ``status`` that no other pass holds."""
    if not lead_ids:
        return []
    return list(
        (
            await session.scalars(
                select(Lead.id)
                .where(Lead.id.in_(lead_ids), Lead.status == status)
                .order_by(Lead.id)
                .with_for_update(skip_locked=True)
            )
        ).all()
    )


async def _open_offers(session: AsyncSession, offer_ids: set[object]) -> set[object]:
    """The shown offers among these still unanswered and in no lead yet."""
    if not offer_ids:
        return set()
    unanswered = set(
        (
            await session.scalars(
                select(ShownOffer.id).where(
                    ShownOffer.id.in_(offer_ids), ShownOffer.status == SHOWN
                )
            )
        ).all()
    )
    taken = set(
        (await session.scalars(select(Lead.offer_id).where(Lead.offer_id.in_(offer_ids)))).all()
    )
    return unanswered - taken
