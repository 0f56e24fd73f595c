"""Hypothesis state machine over earn, spend, reserve, redeem, void, expire and
reverse with repeated idempotency keys, on a real SQLite file: after every step
the books balance (`ledger check` finds nothing), and a repeated key changes nothing."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from migrations.runner import upgrade
from referral.companies import CompanyService
from referral.db import create_engine, create_sessionmaker
from referral.ledger.check import check
from referral.ledger.errors import AlreadyResolved, LedgerError
from referral.ledger.ledger import Ledger
from referral.ledger.rules import RuleService
from referral.ledger.wallet import WalletService
from referral.links import LinkTarget
from referral.members import MemberService
from referral.roles import RoleService

_TEMPLATE: dict[str, Path] = {}
KEYS = st.sampled_from([f"k{i}" for i in range(6)])
AMOUNTS = st.integers(min_value=1, max_value=40)


def template() -> Path:
    if "path" not in _TEMPLATE:
        path = Path(tempfile.mkdtemp()) / "template.sqlite3"
        upgrade(f"sqlite+aiosqlite:///{path}")
        _TEMPLATE["path"] = path
    return _TEMPLATE["path"]


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp())
        shutil.copy(template(), self.dir / "db.sqlite3")
        self.loop = asyncio.new_event_loop()
        self.engine = create_engine(f"sqlite+aiosqlite:///{self.dir / 'db.sqlite3'}")
        self.db = create_sessionmaker(self.engine)
        self.now = datetime(2026, 1, 1, tzinfo=UTC)
        self.ledger = Ledger(self.db, lambda: self.now)
        self.run(self._setup())

    async def _setup(self) -> None:
        company = await CompanyService(self.db).add("Acme", "acme")
        await RuleService(self.db).set("acme", {"points_ttl_days": "5"})
        members = MemberService(self.db, RoleService(self.db, frozenset()))
        self.company = company.id
        self.members = [
            (await members.accept_consent(i, LinkTarget("acme"), "ru"))[0].id for i in (1, 2)
        ]

    def run(self, coroutine):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coroutine)

    def attempt(self, coroutine, repeated: bool) -> None:  # type: ignore[no-untyped-def]
        before = self.run(self.snapshot())
        try:
            done = self.run(coroutine)
        except (LedgerError, AlreadyResolved):
            done = None
        if repeated and done is False:
            assert self.run(self.snapshot()) == before

    async def snapshot(self) -> list[tuple[int, int, int]]:
        result = []
        for member in self.members:
            for b in (await WalletService(self.db).wallet(member)).balances:
                result.append((b.points, b.points_reserved, b.points_incoming))
        return result

    @rule(amount=AMOUNTS, key=KEYS)
    def deposit(self, amount: int, key: str) -> None:
        self.attempt(self.ledger.deposit(self.company, amount * 3, f"dep:{key}"), True)

    @rule(who=st.integers(0, 1), amount=AMOUNTS, key=KEYS)
    def earn(self, who: int, amount: int, key: str) -> None:
        self.attempt(
            self.ledger.award_points(
                self.members[who], self.company, amount, "earn", f"earn:{key}"
            ),
            True,
        )

    @rule(who=st.integers(0, 1), amount=AMOUNTS, key=KEYS)
    def spend(self, who: int, amount: int, key: str) -> None:
        self.attempt(
            self.ledger.spend(self.members[who], self.company, amount, f"spend:{key}"), True
        )

    @rule(who=st.integers(0, 1), amount=AMOUNTS, key=KEYS)
    def reserve(self, who: int, amount: int, key: str) -> None:
        self.attempt(
            self.ledger.spend(
                self.members[who],
                self.company,
                amount,
                f"hold:{key}",
                hold_until=self.now + timedelta(days=1),
            ),
            True,
        )

    @rule(key=KEYS)
    def redeem(self, key: str) -> None:
        self.attempt(self.ledger.post(f"hold:{key}"), False)

    @rule(key=KEYS)
    def void(self, key: str) -> None:
        self.attempt(self.ledger.void(f"hold:{key}"), False)

    @rule(key=KEYS, again=KEYS)
    def reverse(self, key: str, again: str) -> None:
        self.attempt(self.ledger.reverse(f"earn:{key}", f"rev:{again}"), True)

    @rule(days=st.integers(1, 4))
    def time_passes(self, days: int) -> None:
        self.now += timedelta(days=days)
        self.run(self.ledger.settle_due(self.now))
        self.run(self.ledger.expire_due(self.now))

    @invariant()
    def books_balance(self) -> None:
        assert self.run(check(self.db)) == []
        assert all(points >= 0 for points, _, _ in self.run(self.snapshot()))

    def teardown(self) -> None:
        self.run(self.engine.dispose())
        self.loop.close()
        shutil.rmtree(self.dir, ignore_errors=True)


LedgerMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_ledger_state_machine = LedgerMachine.TestCase
