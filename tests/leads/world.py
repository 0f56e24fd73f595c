"""The offers world with the lead pipeline on top: cards in, a recording sender
standing in for the bot (the end-to-end tests use the real one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from referral.leads.cards import CardIn
from referral.leads.pipeline import SENT, LeadPipeline, OfferToSend, PartnerNotice
from referral.leads.service import LeadService
from referral.leads.webhooks import WebhookOutbox
from referral.models import Company
from referral.offers.service import OfferService
from tests.offers_world import START

NOON = START + timedelta(days=30, hours=2)  # 15:00 in Moscow: outside quiet hours


@dataclass
class RecordingSender:
    answer: str = SENT
    offers: list[OfferToSend] = field(default_factory=list)
    notices: list[PartnerNotice] = field(default_factory=list)

    async def offer(self, offer: OfferToSend) -> str:
        self.offers.append(offer)
        return self.answer

    async def tell_partner(self, notice: PartnerNotice) -> None:
        self.notices.append(notice)


def pipeline_for(db, tmp_path, **options) -> tuple[LeadPipeline, LeadService, WebhookOutbox]:
    webhooks = WebhookOutbox(db, schedule=[timedelta(0)] * 7, jitter=0.0, timeout=5)
    options.setdefault("quiet_window", None)
    pipeline = LeadPipeline(
        db, OfferService(db, tmp_path), webhooks, zone=ZoneInfo("Europe/Moscow"), **options
    )
    return pipeline, LeadService(db), webhooks


async def company_id(db, code: str) -> int:
    async with db() as session:
        return await session.scalar(select(Company.id).where(Company.code == code))


def card(external_id: str, member_code: str | None, *services: str, amount: int = 50_000) -> CardIn:
    return CardIn(
        external_id=external_id,
        service_codes=services or ("coffee",),
        amount_minor=amount,
        won=True,
        member_code=member_code,
    )
