"""A small synthetic partner network for the offer tests, seeded through the
same domain services the CLI uses (companies, consent, catalogue, purchases).

Cafe members who buy coffee nearly always buy cake too; gym members do yoga
after a day pass. Purchases repeat weekly so reminder periods can be found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.companies import CompanyService
from referral.ledger.ledger import Ledger
from referral.ledger.services import build_loyalty
from referral.links import LinkTarget
from referral.members import MemberService
from referral.models import Member
from referral.roles import RoleService

CATALOGUES = {
    "cafe": "code,name,category,price,discount_percent,outlet_name,outlet_lat,outlet_lon\n"
    "coffee,Coffee,drinks,200,0,Cafe Centre,55.7558,37.6173\n"
    "cake,Cake <b>deluxe</b>,desserts,300,10,,,\n"
    "tea,Tea,tea,150,0,,,\n",
    "gym": "code,name,category,price,discount_percent,outlet_name,outlet_lat,outlet_lon\n"
    "daypass,Day pass,sport,900,0,Gym North,59.9343,30.3351\n"
    "yoga,Yoga class,classes,700,0,,,\n",
    "spa": "code,name,category,price,discount_percent,outlet_name,outlet_lat,outlet_lon\n"
    "massage,Massage,wellness,2500,0,Spa South,45.0355,38.9753\n",
}
START = datetime(2026, 6, 1, 10, tzinfo=UTC)


@dataclass
class World:
    db: async_sessionmaker[AsyncSession]
    members: dict[str, Member] = field(default_factory=dict)  # name -> member

    async def member_id(self, name: str) -> int:
        return self.members[name].id


async def add_member(db, name: str, company: str, telegram_id: int) -> Member:
    members = MemberService(db, RoleService(db, frozenset()))
    member, _ = await members.accept_consent(telegram_id, LinkTarget(company), "en")
    return member


async def seed(
    db: async_sessionmaker[AsyncSession], extra: bool = True, telegram_base: int = 10_000
) -> World:
    companies = CompanyService(db)
    loyalty = build_loyalty(db, Ledger(db), b"k" * 32)
    for code in CATALOGUES:
        await companies.add(code.title(), code)
        await loyalty.catalog.import_csv(code, CATALOGUES[code])
    world = World(db)
    # name -> (company, services bought each week, weeks)
    plan: dict[str, tuple[str, tuple[str, ...], int]] = {
        **{f"c{i}": ("cafe", ("coffee", "cake"), 4) for i in range(6)},
        **{f"g{i}": ("gym", ("daypass", "yoga"), 3) for i in range(4)},
        "solo": ("cafe", ("coffee",), 4),  # should be offered cake
        "lifter": ("gym", ("daypass",), 2),  # should be offered yoga
    }
    if not extra:
        plan = {k: v for k, v in plan.items() if k in ("c0", "c1", "solo")}
    rows: dict[str, list[str]] = {}
    for n, (name, (company, services, weeks)) in enumerate(plan.items()):
        member = await add_member(db, name, company, telegram_base + n)
        world.members[name] = member
        for week in range(weeks):
            at = START + timedelta(days=7 * week, hours=n)
            for code in services:
                rows.setdefault(company, []).append(
                    f"{member.pseudonym},{code},100,{at.isoformat()}"
                )
    for company, lines in rows.items():
        await loyalty.purchases.import_csv(
            company, "client,service,amount,time\n" + "\n".join(lines)
        )
    return world
