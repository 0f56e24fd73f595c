"""Showing offers to a burst of members at once: their rows read together, their
shown offers recorded in one transaction (group commit, referral.group_commit).

/offers is the one update of the consent flow that both reads a member's own
rows and writes, and alone it paid two sessions and about ten statements per
request (its member row, purchases, declines and leads, open offers, one
INSERT per offer). Requests that queue behind a batch under way go together
in the next: four reads and one multi-row INSERT for the whole batch. Each
request keeps its own ``now``, cool-down and number of offers; two requests
of one member in one batch share that member's open rows, as two in a row do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from referral.ledger.activity_models import Purchase
from referral.models import Member
from referral.offers.candidates import MemberContext
from referral.offers.incentives import Bought, Offered
from referral.offers.models import SHOWN, Lead, OfferFeedback, ShownOffer
from referral.offers.shared import Catalogue
from referral.stamps import version_of

_shown = ShownOffer.__table__


@dataclass(frozen=True)
class ShowRequest:
    member_id: int
    n: int
    now: datetime
    declined_since: datetime  # declines after this still keep their service away


@dataclass(frozen=True)
class MemberRows:
    """One member's own rows, as the ranking and the incentives read them."""

    ctx: MemberContext
    bought: list[Bought]


async def member_rows(
    session: AsyncSession, requests: Sequence[ShowRequest]
) -> tuple[list[MemberRows | None], int | None]:
    """Each request's member rows (None: no such member, or erased) and
    the shared state's change stamp, which rides along with the member rows;
    each read goes by an index on member_id."""
    ids = sorted({r.member_id for r in requests})
    found = (
        await session.execute(
            select(Member.id, Member.pseudonym, Member.erased_at, version_of()).where(
                Member.id.in_(ids)
            )
        )
    ).all()
    version = found[0][3] if found else None
    live = {member_id: pseudonym for member_id, pseudonym, erased, _ in found if erased is None}
    if not live:
        return [None] * len(requests), version
    bought: dict[int, list[Bought]] = defaultdict(list)
    for member_id, service_id, amount, at in await session.execute(
        select(
            Purchase.member_id, Purchase.service_id, Purchase.amount_minor, Purchase.purchased_at
        ).where(Purchase.member_id.in_(live), Purchase.status == "completed")
    ):
        bought[member_id].append(Bought(service_id, amount, _aware(at)))
    oldest = min(r.declined_since for r in requests)
    declines: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for member_id, service_id, at in await session.execute(
        select(OfferFeedback.member_id, OfferFeedback.service_id, OfferFeedback.created_at).where(
            OfferFeedback.member_id.in_(live),
            OfferFeedback.value == -1,
            OfferFeedback.created_at > oldest,
        )
    ):
        declines[member_id].append((service_id, _aware(at)))
    taken: dict[int, set[str]] = defaultdict(set)
    for member_id, service_id in await session.execute(
        select(Lead.member_id, Lead.service_id).where(Lead.member_id.in_(live))
    ):
        taken[member_id].add(str(service_id))
    rows: list[MemberRows | None] = []
    for request in requests:
        member_id = request.member_id
        if member_id not in live:
            rows.append(None)
            continue
        declined = {str(s) for s, at in declines[member_id] if at > request.declined_since}
        ctx = MemberContext(
            pseudonym=live[member_id],
            bought={str(b.service_id) for b in bought[member_id]},
            excluded=declined | taken[member_id],
        )
        rows.append(MemberRows(ctx, bought[member_id]))
    return rows, version


async def record_shown(
    session: AsyncSession,
    offered: Sequence[tuple[ShowRequest, list[Offered]]],
    catalogue: Catalogue,
) -> list[list[ShownOffer]]:
    """One row per offer, in each request's order. An unanswered offer of the
    same service is shown again rather than duplicated (with what it promises
    now), so old messages and new ones carry the same id."""
    members = sorted({request.member_id for request, offers in offered if offers})
    services = sorted({o.candidate.service_id for _, offers in offered for o in offers})
    latest: dict[tuple[int, int], ShownOffer] = {}
    if members:
        open_rows = await session.scalars(
            select(ShownOffer)
            .where(
                ShownOffer.member_id.in_(members),
                ShownOffer.status == SHOWN,
                ShownOffer.service_id.in_(services),
            )
            .order_by(ShownOffer.id)
        )
        latest = {(row.member_id, row.service_id): row for row in open_rows}  # the newest wins
    created: list[ShownOffer] = []
    shown = []
    for request, offers in offered:
        rows = []
        for offer in offers:
            c = offer.candidate
            row = latest.get((request.member_id, c.service_id))
            if row is None:
                row = ShownOffer(
                    member_id=request.member_id,
                    company_id=catalogue.services[c.service_id].company_id,
                    service_id=c.service_id,
                    score=c.score,
                    status=SHOWN,
                    created_at=request.now,
                )
                latest[(request.member_id, c.service_id)] = row
                created.append(row)
            _promise(row, offer)
            rows.append(row)
        shown.append(rows)
    await session.flush()  # the promises of offers shown again
    if created:
        await _insert(session, created)
    return shown


async def _insert(session: AsyncSession, rows: list[ShownOffer]) -> None:
    # Core and one statement with RETURNING for the whole batch: the ORM's
    # flush sends these as one INSERT per row. (member, service) is unique
    # among new rows (see record_shown), so it maps each id back to its row.
    values = [{column: getattr(row, column) for column in _COLUMNS} for row in rows]
    returned = await session.execute(
        insert(_shown).returning(_shown.c.id, _shown.c.member_id, _shown.c.service_id), values
    )
    ids = {(member_id, service_id): id_ for id_, member_id, service_id in returned}
    for row in rows:
        row.id = ids[(row.member_id, row.service_id)]


_COLUMNS = (
    "member_id",
    "company_id",
    "service_id",
    "score",
    "reason",
    "related_service_id",
    "status",
    "created_at",
    "extra_cashback_bp",
    "spend_drop_bp",
    "usual_service_id",
    "usual_minor",
)


def _promise(row: ShownOffer, offer: Offered) -> None:
    row.reason = offer.candidate.reason
    row.related_service_id = offer.candidate.related_service_id
    row.extra_cashback_bp = offer.extra_cashback_bp
    row.spend_drop_bp = offer.spend_drop_bp
    row.usual_service_id = offer.usual_service_id
    row.usual_minor = offer.usual_minor


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they are UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
