"""Delivered leads created in the partner's CRM: an outbox, one row per lead.

When a member accepts, the lead is *delivered*; every tick (one process, under
its job lease) each lead delivered to a company with a connected CRM gets a
``crm_pushes`` row (unique per connection and lead, so never two) and every due
row is sent: Bitrix24 ``crm.item.add``, amoCRM ``/api/v4/leads/complex``.
The CRM may have taken the item while we never learned it (a crash, a lost
answer), so each send first looks the item up by the lead's id, which the
item carries (Bitrix24 ``originId``; the amoCRM lead's name), and creates it
only when absent. A CRM that is down, times out or is out of quota keeps the
row pending, tried again with pauses doubling from 30 s up to MAX_PAUSE, at
most UNAVAILABLE_ATTEMPTS times (the last about 23 h after the first): a portal
that answers 500 for a day is not asked forever. While a CRM is down, one pass
asks it once: its other due rows take that answer as their own try, so a
backlog of leads costs one request a pause, and a CRM that hangs does not hold
up the other connections' rows for a timeout each. A CRM that refuses the
request itself (a bad field, a revoked webhook or token) would refuse it
forever, so the row ends ``failed`` at once (an answer we cannot read: after
ODD_ATTEMPTS tries). A failed row keeps the CRM's last answer, is logged as an
error and shown by ``refbot crm list``; ``refbot crm retry`` queues it again,
attempts from 0, once the connection is fixed. The lead itself stays
delivered: nothing is lost.

What is sent is what the partner's lead webhook already carries (the lead id,
the service, the member's code and bands), never a Telegram id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.crm.amocrm import AmoCrmAccount
from referral.crm.bitrix24 import Bitrix24Portal
from referral.crm.connections import Connection, CrmConnections
from referral.crm.deals import OPEN, CreatedItem, CrmOddAnswer, CrmRefused, CrmUnavailable
from referral.crm.models import CrmDeal, CrmPush
from referral.leads.delivery import PartnerLead, partner_lead, partner_leads_query
from referral.leads.states import DELIVERED
from referral.offers.models import Lead

log = logging.getLogger(__name__)

PENDING, CREATED, FAILED = "pending", "created", "failed"
# A claimed row is not due again before this: longer than a send with its waits.
CLAIM = timedelta(minutes=5)
MAX_PAUSE = timedelta(hours=1)
# Pauses of 30 s, 1, 2, ... 32 min, then an hour: the 30th try comes ~23 h after the first.
UNAVAILABLE_ATTEMPTS = 30
ODD_ATTEMPTS = 5  # an unreadable answer on the 5th try fails the row (~8 min of pauses in)


@dataclass(frozen=True)
class Unsent:
    """A push not created (yet): pending, or failed with the CRM's reason."""

    connection_id: int
    lead_id: int
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str


@dataclass(frozen=True)
class Outage:
    """A connection that answered unavailable in this pass: not asked again in it."""

    error: CrmUnavailable
    asked_again: datetime  # when its first row is due again; its other rows wait as long


@dataclass(frozen=True)
class PushReport:
    queued: int  # leads newly given a row
    created: int  # items created (or found created) in a CRM
    waiting: int  # sends that failed and wait for a later tick
    failed: int = 0  # sends the CRM refused: the rows wait for `refbot crm retry`


class CrmPushes:
    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        connections: CrmConnections,
        *,
        backoff: float = 1.0,
        first_pause: timedelta = timedelta(seconds=30),
    ) -> None:
        self.db, self.connections = db, connections
        self.backoff = backoff  # the CRMs' rate-limit waits scale with it (tests: tiny)
        self.first_pause = first_pause

    async def run(self, now: datetime | None = None) -> PushReport:
        """Queue newly delivered leads, then send every due row once."""
        now = now or datetime.now(UTC)
        started = datetime.now(UTC)
        queued = await self.enqueue(now)
        down: dict[int, Outage] = {}  # connections found down in this pass
        outcomes = []
        for push_id in await self._claim(now):
            at = now + (datetime.now(UTC) - started)  # pauses count from the try, not the pass
            outcomes.append(await self._send(push_id, at, down))
        return PushReport(
            queued, outcomes.count(CREATED), outcomes.count(PENDING), outcomes.count(FAILED)
        )

    async def enqueue(self, now: datetime) -> int:
        """A row for each delivered lead of a connected company that has none yet."""
        queued = 0
        for connection in await self.connections.all():
            async with self.db() as session:
                pushed = select(CrmPush.lead_id).where(CrmPush.connection_id == connection.id)
                lead_ids = list(
                    await session.scalars(
                        select(Lead.id).where(
                            Lead.company_id == connection.company_id,
                            Lead.status == DELIVERED,
                            Lead.id.not_in(pushed),
                        )
                    )
                )
            for lead_id in lead_ids:
                try:
                    async with self.db.begin() as session:
                        session.add(
                            CrmPush(
                                connection_id=connection.id,
                                lead_id=lead_id,
                                status=PENDING,
                                attempts=0,
                                next_attempt_at=now,
                                last_error="",
                                created_at=now,
                            )
                        )
                    queued += 1
                except IntegrityError:
                    pass  # queued a moment ago by a run that outlived its lease: one row
        return queued

    async def _claim(self, now: datetime) -> list[int]:
        # Moving next_attempt_at on is the claim: a run that outlives its lease
        # and another process's next tick do not send the same row at once.
        async with self.db.begin() as session:
            rows = list(
                await session.scalars(
                    select(CrmPush)
                    .where(CrmPush.status == PENDING, CrmPush.next_attempt_at <= now)
                    .order_by(CrmPush.next_attempt_at, CrmPush.id)
                    .limit(50)
                    .with_for_update(skip_locked=True)
                )
            )
            for row in rows:
                row.next_attempt_at = now + CLAIM
            return [row.id for row in rows]

    async def unsent(self, connection_ids: list[int]) -> list[Unsent]:
        """The connections' pushes not created: pending ones and failed ones, with why."""
        async with self.db() as session:
            rows = await session.scalars(
                select(CrmPush)
                .where(CrmPush.connection_id.in_(connection_ids), CrmPush.status != CREATED)
                .order_by(CrmPush.id)
            )
            return [
                Unsent(
                    row.connection_id,
                    row.lead_id,
                    row.status,
                    row.attempts,
                    row.next_attempt_at,
                    row.last_error,
                )
                for row in rows
            ]

    async def requeue(self, connection_ids: list[int], now: datetime | None = None) -> int:
        """Failed pushes of these connections pending again, due now; how many."""
        async with self.db.begin() as session:
            result = await session.execute(
                update(CrmPush)
                .where(CrmPush.connection_id.in_(connection_ids), CrmPush.status == FAILED)
                .values(status=PENDING, attempts=0, next_attempt_at=now or datetime.now(UTC))
            )
            return result.rowcount or 0

    async def _send(self, push_id: int, at: datetime, down: dict[int, Outage]) -> str:
        """Where the row is after one send: CREATED, PENDING (tried later) or FAILED.
        ``down``: connections that answered unavailable in this pass, not asked again."""
        async with self.db() as session:
            push = await session.get(CrmPush, push_id)
            if push is None or push.status != PENDING:
                return PENDING
            connection_id, lead_id, attempts = push.connection_id, push.lead_id, push.attempts
            row = (await session.execute(partner_leads_query().where(Lead.id == lead_id))).first()
        connection = await self.connections.by_id(connection_id)
        if row is None:  # never: a delivered lead stays visible to its partner
            return PENDING
        outage = down.get(connection_id)
        try:
            if outage is not None:
                raise outage.error
            item = await self._create(connection, partner_lead(row))
        except CrmUnavailable as error:
            due = at + min(self.first_pause * 2**attempts, MAX_PAUSE)
            if outage is not None:
                due = outage.asked_again  # the connection's rows stay due together
            elif not isinstance(error, (CrmRefused, CrmOddAnswer)):
                down[connection_id] = Outage(error, due)
            final = isinstance(error, CrmRefused) or attempts + 1 >= (
                ODD_ATTEMPTS if isinstance(error, CrmOddAnswer) else UNAVAILABLE_ATTEMPTS
            )
            await self._retry_later(push_id, attempts + 1, due, str(error), final)
            if final:
                log.error(
                    "CRM %s lead %s not created, push failed (refbot crm retry after a fix): %s",
                    connection.public_id,
                    lead_id,
                    error,
                )
                return FAILED
            if outage is None:
                log.warning(
                    "CRM %s lead %s not created yet: %s", connection.public_id, lead_id, error
                )
            return PENDING
        await self._created(connection, push_id, lead_id, item)
        return CREATED

    async def _create(self, connection: Connection, lead: PartnerLead) -> CreatedItem:
        settings = connection.settings
        if connection.kind == "bitrix24":
            portal = Bitrix24Portal(settings["portal_webhook"], backoff=self.backoff)
            return await portal.create(lead, settings["member_field"])
        account = AmoCrmAccount(settings["api_base"], settings["token"], backoff=self.backoff)
        return await account.create(lead, int(settings["member_field_id"]))

    async def _retry_later(
        self, push_id: int, attempts: int, due: datetime, error: str, final: bool
    ) -> None:
        async with self.db.begin() as session:
            await session.execute(
                update(CrmPush)
                .where(CrmPush.id == push_id, CrmPush.status == PENDING)
                .values(
                    status=FAILED if final else PENDING,
                    attempts=attempts,
                    next_attempt_at=due,
                    last_error=error[:200],
                )
            )

    async def _created(
        self, connection: Connection, push_id: int, lead_id: int, item: CreatedItem
    ) -> None:
        """Record the CRM's id; a deal is followed from now on, bound to the lead."""
        now = datetime.now(UTC)
        async with self.db.begin() as session:
            await session.execute(
                update(CrmPush)
                .where(CrmPush.id == push_id)
                .values(status=CREATED, entity=item.entity, external_id=item.external_id)
            )
            if item.entity != "deal":
                return  # a Bitrix24 lead: its deal, once converted, names it (LEAD_ID)
            followed = await session.scalar(
                select(CrmDeal).where(
                    CrmDeal.connection_id == connection.id,
                    CrmDeal.external_id == item.external_id,
                )
            )
            if followed is None:
                session.add(
                    CrmDeal(
                        connection_id=connection.id,
                        external_id=item.external_id,
                        state=OPEN,
                        lead_id=lead_id,
                        updated_at=now,
                    )
                )
            elif followed.lead_id is None:
                followed.lead_id = lead_id


async def lead_of_crm_lead(
    session: AsyncSession, connection_id: int, external_lead_id: str
) -> int | None:
    """The refbot lead created in the CRM as the lead ``external_lead_id`` (Bitrix24)."""
    return await session.scalar(
        select(CrmPush.lead_id).where(
            CrmPush.connection_id == connection_id,
            CrmPush.entity == "lead",
            CrmPush.external_id == external_lead_id,
        )
    )
