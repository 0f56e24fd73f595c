"""Seed data for `refbot demo`: the partner network of network.py and a few
thousand synthetic members (histories.py), put in through the same services
a partner's upload or the operator's command uses, so the ledger holds
(`refbot ledger check`) and the recommender has real signal to learn."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, update

from bot.demo import histories
from bot.demo.bulk import SettledPurchase, write_history
from bot.demo.histories import MEMBERS
from bot.demo.network import PARTNERS, catalogue_csv, cross_matrix_csv, partner, price_paid
from refbot.services import Services
from referral.companies import by_code
from referral.errors import DuplicateCompany
from referral.links import LinkTarget
from referral.members import PROFILE_FIELDS
from referral.models import Member
from referral.offers.crossmatrix import CrossMatrixService

COMPANIES = tuple((p.name, p.code) for p in PARTNERS)
SYNTHETIC_TELEGRAM_IDS = 9_000_000_000  # far from the demo's visitors and real users
ACCEPT_BATCH = 500
DEPOSIT_POINTS = 50_000_000
DEPOSIT_CASHBACK_KOPECKS = 500_000_000


@dataclass(frozen=True)
class SeedReport:
    companies: int
    members: int
    purchases: int
    drifting: int


async def seed(
    services: Services, now: datetime | None = None, members: int = MEMBERS
) -> SeedReport:
    """Idempotent: a second run on the same database finds the network there and stops."""
    now = now or datetime.now(UTC)
    try:
        await _partners(services)
    except DuplicateCompany:
        return SeedReport(0, 0, 0, 0)
    people = list(histories.members(members, now))
    joined = await _join(services, people)
    purchases = await _purchases(services, people, joined, now)
    return SeedReport(len(PARTNERS), len(people), purchases, sum(p.drifting for p in people))


async def _partners(services: Services) -> None:
    loyalty = services.loyalty
    for network_partner in PARTNERS:
        code = network_partner.code
        await services.companies.add(network_partner.name, code)
        await loyalty.catalog.import_csv(code, catalogue_csv(network_partner))
        await loyalty.rules.set(code, network_partner.rules)
        for bundle_code, name, items, percent in network_partner.bundles:
            await loyalty.bundles.define(code, bundle_code, list(items), percent, name)
        company = await services.companies.get(code)
        await services.ledger.deposit(company.id, DEPOSIT_POINTS, f"demo-deposit-{code}")
        await services.ledger.deposit(
            company.id, DEPOSIT_CASHBACK_KOPECKS, f"demo-deposit-cb-{code}", currency="cashback"
        )
    await CrossMatrixService(services.db).import_csv(cross_matrix_csv())


async def _join(
    services: Services, people: list[histories.SyntheticMember]
) -> dict[int, tuple[int, str]]:
    """Every member accepts consent through their home partner's QR code and fills
    in the profile; acceptances go in batches the group commit takes together."""
    joined: dict[int, tuple[int, str]] = {}
    for start in range(0, len(people), ACCEPT_BATCH):
        batch = people[start : start + ACCEPT_BATCH]
        accepted = await asyncio.gather(
            *(
                services.members.accept_consent(
                    SYNTHETIC_TELEGRAM_IDS + person.index, LinkTarget(person.home_company), "ru"
                )
                for person in batch
            )
        )
        for person, (member, _) in zip(batch, accepted, strict=True):
            joined[person.index] = (member.id, member.pseudonym)
    # The answers each would give to onboarding's three questions, in one statement
    # (MemberService.set_profile is a transaction a field: thousands for the demo).
    # No synthetic member has a chat on the local server: unreachable, as if they
    # had blocked the bot, so surveys and reminders skip them rather than queue
    # thousands of sends to nobody ahead of the visitor's.
    table = Member.__table__
    async with services.db.begin() as session:
        await session.execute(
            update(table).where(table.c.id == bindparam("member")),
            [
                {
                    "member": joined[person.index][0],
                    "reachable": False,
                    **{field: getattr(person, field) for field in PROFILE_FIELDS},
                }
                for person in people
            ],
        )
    return joined


async def _purchases(
    services: Services,
    people: list[histories.SyntheticMember],
    members: dict[int, tuple[int, str]],
    now: datetime,
) -> int:
    """Each partner's history: what is past its return window written in bulk as
    settled (bulk.py), the rest imported as the partner's file through the service."""
    settled: dict[str, list[SettledPurchase]] = defaultdict(list)
    recent: dict[str, list[str]] = defaultdict(list)
    windows = {p.code: int(p.rules.get("return_window_days", "14")) for p in PARTNERS}
    for person in people:
        member_id, pseudonym = members[person.index]
        for visit in person.visits:
            items = {item.code: item for item in partner(visit.company).items}
            for code in visit.items:
                kopecks = price_paid(items[code])
                if visit.at + timedelta(days=windows[visit.company]) <= now:
                    settled[visit.company].append(
                        SettledPurchase(member_id, pseudonym, code, kopecks, visit.at)
                    )
                else:
                    recent[visit.company].append(
                        f"{pseudonym},{code},{kopecks // 100}.{kopecks % 100:02d},"
                        f"{visit.at.isoformat()}"
                    )
    written = 0
    for code, rows in settled.items():
        async with services.db.begin() as session:
            company = await by_code(session, code)
            written += await write_history(session, company.id, code, rows)
    for code, lines in recent.items():
        report = await services.loyalty.purchases.import_csv(
            code, "client,service,amount,time\n" + "\n".join(lines) + "\n"
        )
        written += report.added
    await services.ledger.settle_due(now)
    return written
