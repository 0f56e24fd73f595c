"""The rollup, the snapshots and the overview on a real SQLite file and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.analytics.models import Customer, MemberDay
from referral.analytics.rollup import Rollup
from referral.analytics.service import Period, WorkspaceAnalytics
from referral.analytics.snapshot import Snapshots
from referral.companies import CompanyService
from referral.ledger.ledger import Ledger
from referral.ledger.services import build_loyalty
from tests.offers_world import add_member

MOSCOW = ZoneInfo("Europe/Moscow")
CATALOGUE = (
    "code,name,category,price,discount_percent,outlet_name,outlet_lat,outlet_lon\n"
    "coffee,Coffee,drinks,200,0,,,\n"
)
HEADER = "client,service,amount,time,receipt,status\n"


async def cafe(db: async_sessionmaker[AsyncSession], members: int = 6):
    await CompanyService(db).add("Cafe", "cafe")
    loyalty = build_loyalty(db, Ledger(db), b"k" * 32)
    await loyalty.catalog.import_csv("cafe", CATALOGUE)
    people = [await add_member(db, f"m{i}", "cafe", 50_000 + i) for i in range(members)]
    return loyalty, people


def row(member, amount: int, at: datetime, receipt: str, status: str = "completed") -> str:
    return f"{member.pseudonym},coffee,{amount},{at.isoformat()},{receipt},{status}"


async def rollup_rows(db) -> tuple[list[tuple], list[tuple]]:
    async with db() as session:
        days = (
            await session.execute(
                select(
                    MemberDay.member_id, MemberDay.day, MemberDay.purchases, MemberDay.revenue_minor
                ).order_by(MemberDay.member_id, MemberDay.day)
            )
        ).all()
        customers = (
            await session.execute(
                select(
                    Customer.member_id,
                    Customer.first_day,
                    Customer.last_day,
                    Customer.visits,
                    Customer.purchases,
                    Customer.revenue_minor,
                ).order_by(Customer.member_id)
            )
        ).all()
    return [tuple(r) for r in days], [tuple(r) for r in customers]


async def test_rollup_counts_local_days_and_catches_up_with_new_and_reversed_purchases(db) -> None:
    loyalty, (a, b, *_rest) = await cafe(db)
    # 21:30 UTC on 1 March is 00:30 on 2 March in Moscow: a different local day.
    late = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)
    early = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    await loyalty.purchases.import_csv(
        "cafe",
        HEADER
        + "\n".join(
            [
                row(a, 100, early, "r1"),
                row(a, 50, early, "r2"),
                row(a, 70, late, "r3"),
                row(b, 10, early, "r4"),
            ]
        ),
    )
    rollup = Rollup(db, MOSCOW)
    first = await rollup.refresh()
    assert first.full
    days, customers = await rollup_rows(db)
    d1 = (date(2026, 3, 1) - date(1970, 1, 1)).days
    assert days == [(a.id, d1, 2, 15_000), (a.id, d1 + 1, 1, 7_000), (b.id, d1, 1, 1_000)]
    assert customers[0] == (a.id, d1, d1 + 1, 2, 3, 22_000)

    # A new purchase of b and the reversal of a's 00:30 purchase.
    await loyalty.purchases.import_csv(
        "cafe",
        HEADER
        + "\n".join(
            [row(b, 30, early + timedelta(days=3), "r5"), row(a, 70, late, "r3", "reversed")]
        ),
    )
    again = await rollup.refresh()
    assert not again.full and again.purchases_read == 2
    days, customers = await rollup_rows(db)
    assert days == [(a.id, d1, 2, 15_000), (b.id, d1, 1, 1_000), (b.id, d1 + 3, 1, 3_000)]
    assert customers == [(a.id, d1, d1, 1, 2, 15_000), (b.id, d1, d1 + 3, 2, 2, 4_000)]
    # A refresh recomputes what it re-reads (here the reversal, within the
    # clock margin), so running it again changes nothing.
    await rollup.refresh()
    assert await rollup_rows(db) == (days, customers)


async def test_overview_hides_small_buckets_and_compares_with_the_previous_period(db) -> None:
    loyalty, people = await cafe(db, members=6)
    monday = datetime(2026, 3, 2, 9, tzinfo=UTC)
    lines = []
    for n, member in enumerate(people):  # week 1: six buyers, 100 each
        lines.append(row(member, 100, monday + timedelta(hours=n), f"w1-{n}"))
    for n, member in enumerate(people[:5]):  # week 2: five of them, 200 each
        lines.append(row(member, 200, monday + timedelta(days=7, hours=n), f"w2-{n}"))
    lines.append(row(people[0], 500, monday + timedelta(days=14), "w3"))  # week 3: one buyer
    await loyalty.purchases.import_csv("cafe", HEADER + "\n".join(lines))
    await Rollup(db, MOSCOW).refresh()
    analytics = WorkspaceAnalytics(db, floor=5, zone=MOSCOW)
    async with db() as session:
        company_id = await session.scalar(select(func.min(MemberDay.company_id)))
    week = await analytics.overview(company_id, Period(date(2026, 3, 2), date(2026, 3, 22)), "week")
    series = week["series"]
    assert [s["bucket"] for s in series] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert series[0] == {
        "bucket": "2026-03-02",
        "revenue_minor": 60_000,
        "purchases": 6,
        "buyers": 6,
        "new": 6,
        "returning": None,
        "average_check_minor": 10_000,
        "frequency": 1.0,
    }
    assert series[1]["returning"] == 5 and series[1]["new"] is None
    assert series[2]["revenue_minor"] is None and series[2]["buyers"] is None
    assert week["totals"]["revenue_minor"]["current"] == 210_000
    assert week["totals"]["revenue_minor"]["previous"] is None  # nobody bought before
    # Against week 1 alone, week 2 had 10,000 -> 20,000 kopecks of average check.
    second = await analytics.overview(
        company_id, Period(date(2026, 3, 9), date(2026, 3, 15)), "day"
    )
    check = second["totals"]["average_check_minor"]
    assert (check["current"], check["previous"], check["change"]) == (20_000, 10_000, 1.0)


async def test_snapshot_holds_every_view_and_never_an_id(db) -> None:
    loyalty, people = await cafe(db, members=12)
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    lines = []
    for n, member in enumerate(people):
        for week in range(0, 14, 1 + n % 3):
            amount = 100 + 50 * (n % 4)
            lines.append(
                row(member, amount, start + timedelta(days=7 * week, hours=n), f"{n}-{week}")
            )
    await loyalty.purchases.import_csv("cafe", HEADER + "\n".join(lines))
    await Rollup(db, MOSCOW).refresh()
    now = datetime(2026, 4, 10, tzinfo=UTC)
    assert await Snapshots(db, floor=3, zone=MOSCOW).rebuild(now) == 1
    async with db() as session:
        company_id = await session.scalar(select(func.min(MemberDay.company_id)))
    body = await WorkspaceAnalytics(db, floor=3, zone=MOSCOW).snapshot(company_id)
    assert body is not None
    for view in ("cohorts", "structure", "segments", "churn", "peers", "insights", "funnel"):
        assert view in body
    assert body["cohorts"][0]["cohort"] == "2026-01"
    assert body["cohorts"][0]["cells"][0] == 1.0
    assert body["structure"]["customers"] == 12
    assert body["segments"]["points"], body["segments"]
    assert all(isinstance(point[3], str) for point in body["segments"]["points"])
    shown = {p["segment"] for p in body["segments"]["profiles"] if p["size"] is not None}
    assert {point[2] for point in body["segments"]["points"]} <= shown  # none under the floor
    assert body["peers"]["percentiles"] is None  # one partner in its category
    text = str(body)
    for member in people:
        assert member.pseudonym not in text
