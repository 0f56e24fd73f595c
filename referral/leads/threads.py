"""Partners and members talk through the bot, about one delivered lead.

The partner writes (a button under the lead in /leads, or POST
/api/v1/leads/{id}/messages); the member gets it in the bot under the
partner's name and can reply or stop that partner from writing. A reply goes
to the partner admin who wrote last and to the partner's webhook as a
``lead.message`` event. Neither side ever sees the other's Telegram id: the
partner knows the member's code, the member knows the partner's name.
/forget ends every thread of the member and erases its texts and chat ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.errors import DomainError
from referral.leads.delivery import Event
from referral.leads.models import LeadThread, ThreadMessage
from referral.leads.service import LeadNotFound
from referral.leads.states import VISIBLE_TO_PARTNER
from referral.leads.webhooks import WebhookOutbox
from referral.models import Company, Member
from referral.offers.models import Lead

MESSAGE_EVENT = "lead.message"
# A message the bot's handler is sending right now is not the relay job's.
IN_FLIGHT = timedelta(seconds=10)


class ThreadStopped(DomainError):
    """The member does not take messages from this partner (stopped, or erased)."""


class ThreadGone(DomainError):
    """Not this member's thread, or it ended."""


@dataclass(frozen=True)
class ToMember:
    message_id: int
    thread_id: int
    telegram_id: int
    language: str | None
    company: str
    text: str


@dataclass(frozen=True)
class ToPartner:
    lead_id: int
    partner_chat_id: int | None  # the admin who wrote last; None: the webhook only
    member_code: str
    text: str


class ThreadService:
    def __init__(self, db: async_sessionmaker[AsyncSession], webhooks: WebhookOutbox) -> None:
        self.db, self.webhooks = db, webhooks

    async def partner_writes(
        self,
        company_id: int,
        lead_id: int,
        text: str,
        partner_chat_id: int | None = None,
        now: datetime | None = None,
    ) -> ToMember:
        """Record the partner's message to the lead's member; the bot sends it."""
        now = now or datetime.now(UTC)
        async with self.db.begin() as session:
            member = await session.scalar(
                select(Member)
                .join(Lead, Lead.member_id == Member.id)
                .where(
                    Lead.id == lead_id,
                    Lead.company_id == company_id,
                    Lead.status.in_(VISIBLE_TO_PARTNER),
                )
            )
            if member is None:
                raise LeadNotFound(f"no lead {lead_id}")
            thread = await session.scalar(select(LeadThread).where(LeadThread.lead_id == lead_id))
            if thread is None:
                thread = LeadThread(lead_id=lead_id, created_at=now)
                session.add(thread)
                await session.flush()
            if thread.stopped_at is not None or member.telegram_id is None:
                raise ThreadStopped("the member does not take messages from this partner")
            if partner_chat_id is not None:
                thread.partner_chat_id = partner_chat_id
            message = ThreadMessage(thread_id=thread.id, from_member=False, text=text, at=now)
            session.add(message)
            await session.flush()
            company = await session.scalar(select(Company.name).where(Company.id == company_id))
            return ToMember(
                message.id, thread.id, member.telegram_id, member.language, company or "", text
            )

    async def sent(self, message_id: int, now: datetime | None = None) -> None:
        async with self.db.begin() as session:
            await session.execute(
                update(ThreadMessage)
                .where(ThreadMessage.id == message_id, ThreadMessage.sent_at.is_(None))
                .values(sent_at=now or datetime.now(UTC))
            )

    async def unsent(self, now: datetime | None = None, limit: int = 100) -> list[ToMember]:
        """Partners' messages not relayed yet (from the API, or a crash mid-send)."""
        now = now or datetime.now(UTC)
        async with self.db() as session:
            rows = (
                await session.execute(
                    select(
                        ThreadMessage.id,
                        LeadThread.id,
                        Member.telegram_id,
                        Member.language,
                        Company.name,
                        ThreadMessage.text,
                    )
                    .join(LeadThread, LeadThread.id == ThreadMessage.thread_id)
                    .join(Lead, Lead.id == LeadThread.lead_id)
                    .join(Member, Member.id == Lead.member_id)
                    .join(Company, Company.id == Lead.company_id)
                    .where(
                        ThreadMessage.from_member.is_(False),
                        ThreadMessage.sent_at.is_(None),
                        ThreadMessage.at < now - IN_FLIGHT,
                        LeadThread.stopped_at.is_(None),
                        Member.telegram_id.is_not(None),
                    )
                    .order_by(ThreadMessage.id)
                    .limit(limit)
                )
            ).all()
        return [ToMember(*row) for row in rows]

    async def member_replies(
        self, thread_id: int, member_id: int, text: str, now: datetime | None = None
    ) -> ToPartner:
        """Record the member's reply and queue its webhook event; the bot tells the partner."""
        now = now or datetime.now(UTC)
        async with self.db.begin() as session:
            found = (
                await session.execute(
                    select(LeadThread, Lead.company_id, Member.pseudonym)
                    .join(Lead, Lead.id == LeadThread.lead_id)
                    .join(Member, Member.id == Lead.member_id)
                    .where(LeadThread.id == thread_id, Lead.member_id == member_id)
                )
            ).first()
            if found is None or found[0].stopped_at is not None:
                raise ThreadGone(f"thread {thread_id} is not open for this member")
            thread, company_id, code = found
            message = ThreadMessage(
                thread_id=thread.id, from_member=True, text=text, at=now, sent_at=now
            )
            session.add(message)
            await session.flush()
            data = {"lead_id": thread.lead_id, "member_code": code, "text": text}
            event = Event(company_id, f"{MESSAGE_EVENT}:{message.id}", MESSAGE_EVENT, data)
            await self.webhooks.enqueue(session, event, now)
            return ToPartner(thread.lead_id, thread.partner_chat_id, code, text)

    async def stop(self, thread_id: int, member_id: int, now: datetime | None = None) -> None:
        """The member stops this partner from writing; a second press changes nothing."""
        async with self.db.begin() as session:
            owned = await session.scalar(
                select(LeadThread.id)
                .join(Lead, Lead.id == LeadThread.lead_id)
                .where(LeadThread.id == thread_id, Lead.member_id == member_id)
            )
            if owned is None:
                raise ThreadGone(f"thread {thread_id} is not this member's")
            await session.execute(
                update(LeadThread)
                .where(LeadThread.id == thread_id, LeadThread.stopped_at.is_(None))
                .values(stopped_at=now or datetime.now(UTC))
            )


async def end_threads(session: AsyncSession, member_id: int | None, now: datetime) -> None:
    """/forget: the member's threads end and their texts and partner chat ids are
    erased (a partner admin's own chat id is erased by referral/erasure.py)."""
    if member_id is None:
        return
    threads = (
        select(LeadThread.id)
        .join(Lead, Lead.id == LeadThread.lead_id)
        .where(Lead.member_id == member_id)
    )
    await session.execute(
        update(LeadThread)
        .where(LeadThread.id.in_(threads))
        .values(stopped_at=now, partner_chat_id=None)
    )
    await session.execute(
        update(ThreadMessage).where(ThreadMessage.thread_id.in_(threads)).values(text=None)
    )
