"""What the scheduled offer jobs decide, with the clock given: who gets a reminder
of a regular purchase (at most one a week), who a retention offer (most valuable
members at risk first, at most one a month)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from recommender import ChurnModel
from referral.ledger.ledger import Ledger
from referral.ledger.services import build_loyalty
from referral.members import MemberService
from referral.offers.nudges import NudgeService
from referral.offers.store import ModelStore
from referral.offers.training import Extras
from referral.roles import RoleService
from tests.offers_world import START, seed

CAFE_REGULARS = {f"c{i}" for i in range(6)} | {"solo"}  # weekly, last visit in week 4
GYM_REGULARS = {f"g{i}" for i in range(4)}  # weekly, last visit in week 3
# Their fifth weekly visit is due at START + 28 days; a reminder goes a day ahead.
DUE = START + timedelta(days=27, hours=1)


async def buy(db, pseudonym: str, company: str, service: str, amount: int, at) -> None:
    loyalty = build_loyalty(db, Ledger(db), b"k" * 32)
    await loyalty.purchases.import_csv(
        company, f"client,service,amount,time\n{pseudonym},{service},{amount},{at.isoformat()}\n"
    )


def names(world, nudges) -> list[str]:
    by_id = {m.id: name for name, m in world.members.items()}
    return [by_id[n.member_id] for n in nudges]


async def test_reminders_go_to_regular_buyers_whose_visit_is_due(db, tmp_path):
    world = await seed(db)
    nudges = NudgeService(db, ModelStore(tmp_path))
    # Gym members came weekly for three weeks and are overdue (by under a period);
    # the cafe's fifth visit is not due yet; lifter came twice: no regular period.
    early = await nudges.claim_reminders(now=DUE - timedelta(days=2))
    assert set(names(world, early)) == GYM_REGULARS
    claimed = await nudges.claim_reminders(now=DUE)
    assert set(names(world, claimed)) == CAFE_REGULARS  # the gym's came two days ago
    assert {(n.service, n.company) for n in claimed} <= {
        ("Coffee", "Cafe"),
        ("Cake <b>deluxe</b>", "Cafe"),
    }


async def test_a_reminder_comes_again_only_after_a_full_week(db, tmp_path):
    world = await seed(db)
    nudges = NudgeService(db, ModelStore(tmp_path))
    first = await nudges.claim_reminders(now=DUE)
    assert set(names(world, first)) == CAFE_REGULARS | GYM_REGULARS
    assert await nudges.claim_reminders(now=DUE + timedelta(days=6, hours=23)) == []
    again = await nudges.claim_reminders(now=DUE + timedelta(days=7, hours=1))
    # Still due for the cafe; the gym's visit is now overdue by more than a period.
    assert set(names(world, again)) == CAFE_REGULARS


async def test_members_who_blocked_the_bot_or_left_get_no_reminder(db, tmp_path):
    world = await seed(db)
    members = MemberService(db, RoleService(db, frozenset()))
    await members.set_reachable(world.members["c0"].telegram_id, False)
    await members.forget(world.members["c1"].telegram_id)
    claimed = await NudgeService(db, ModelStore(tmp_path)).claim_reminders(now=DUE)
    assert set(names(world, claimed)) == (CAFE_REGULARS | GYM_REGULARS) - {"c0", "c1"}


class EveryoneAtRisk(ChurnModel):
    """The classifier is not under test here: every member is at risk, so the
    order the job follows comes from value alone."""

    def predict_proba(self, features: pd.DataFrame) -> pd.Series:
        return pd.Series(0.9, index=features.index, name="churn_risk")


class FixedStore:
    def __init__(self, churn: ChurnModel | None) -> None:
        self.extras = Extras(economics=pd.DataFrame(), churn=churn)

    def current(self):  # type: ignore[no-untyped-def]
        return None, self.extras


async def test_retention_offers_go_to_the_most_valuable_members_at_risk_first(db):
    world = await seed(db)
    # lifter spent least (two visits) until one big massage: now the most valuable.
    await buy(
        db, world.members["lifter"].pseudonym, "spa", "massage", 5000, START + timedelta(days=9)
    )
    # A long window: every member was active in the last period, so each is scored.
    nudges = NudgeService(db, FixedStore(EveryoneAtRisk(window_days=60)))
    now = START + timedelta(days=22, hours=12)
    first = names(world, await nudges.claim_retention(now=now, limit=3))
    # lifter (5 200), then cafe regulars (800 each) before gym (600), solo (400).
    assert first[0] == "lifter" and set(first[1:]) <= {f"c{i}" for i in range(6)}
    second = names(world, await nudges.claim_retention(now=now + timedelta(days=1), limit=20))
    assert not set(first) & set(second)  # one retention offer a month
    assert set(first) | set(second) == set(world.members)
    spent = {n: 800 for n in CAFE_REGULARS} | {f"g{i}": 600 for i in range(4)} | {"solo": 400}
    assert [spent[n] for n in second] == sorted((spent[n] for n in second), reverse=True)
    assert await nudges.claim_retention(now=now + timedelta(days=29)) == []
    assert len(await nudges.claim_retention(now=now + timedelta(days=32), limit=100)) == 12


async def test_no_churn_model_means_no_retention_offers(db):
    await seed(db, extra=False)
    nudges = NudgeService(db, FixedStore(None))
    assert await nudges.claim_retention(now=START + timedelta(days=40)) == []
