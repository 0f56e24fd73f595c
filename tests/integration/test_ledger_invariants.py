"""Hypothesis state machine over earn, spend, reserve, redeem, void, expire and
reverse with repeated idempotency keys, on a real SQLite file. Beside the ledger
runs a model (tests/ledger_model.py) of what each operation must answer and
what must follow: after every step each balance, each pending transfer and each
lot (with its expiry) in the database equals the model's, and the books balance
(`ledger check` finds nothing)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import select

from migrations.runner import upgrade
from referral.companies import CompanyService
from referral.db import create_engine, create_sessionmaker
from referral.ledger.accounts import account_code
from referral.ledger.bookkeeping_models import POINTS, Account, Lot, Transfer
from referral.ledger.check import check
from referral.ledger.errors import LedgerError
from referral.ledger.ledger import Ledger
from referral.ledger.rules import RuleService
from referral.links import LinkTarget
from referral.members import MemberService
from referral.roles import RoleService
from tests.ledger_model import DEPOSIT, EXPIRED, FUNDING, REDEEMED, LedgerModel, Outcome, wallet

_TEMPLATE: dict[str, Path] = {}
KEYS = st.sampled_from([f"k{i}" for i in range(6)])
AMOUNTS = st.integers(min_value=1, max_value=40)
POINTS_TTL = timedelta(days=5)


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
        self.model = LedgerModel(points_ttl=POINTS_TTL)
        self.run(self._setup())

    async def _setup(self) -> None:
        company = await CompanyService(self.db).add("Acme", "acme")
        await RuleService(self.db).set("acme", {"points_ttl_days": str(POINTS_TTL.days)})
        members = MemberService(self.db, RoleService(self.db, frozenset()))
        self.company = company.id
        self.members = [
            (await members.accept_consent(i, LinkTarget("acme"), "ru"))[0].id for i in (1, 2)
        ]
        self.codes = {
            FUNDING: account_code("funding", POINTS, None, None),
            DEPOSIT: account_code("deposit", POINTS, self.company, None),
            REDEEMED: account_code("redeemed", POINTS, self.company, None),
            EXPIRED: account_code("expired", POINTS, self.company, None),
            **{
                wallet(who): account_code("member", POINTS, self.company, member)
                for who, member in enumerate(self.members)
            },
        }

    def run(self, coroutine):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coroutine)

    def attempt(self, coroutine, expected: Outcome) -> None:  # type: ignore[no-untyped-def]
        """Run one ledger call; it must answer what the model says it must."""
        try:
            answer: Outcome = self.run(coroutine)
        except LedgerError as refusal:
            answer = type(refusal)
        if answer is None:  # post and void answer nothing when they succeed
            answer = True
        assert answer == expected, f"the ledger answered {answer!r}, the model {expected!r}"

    @rule(amount=AMOUNTS, key=KEYS)
    def deposit(self, amount: int, key: str) -> None:
        key = f"dep:{key}"
        expected = self.model.move(key, FUNDING, DEPOSIT, amount * 3, self.now)
        self.attempt(self.ledger.deposit(self.company, amount * 3, key), expected)

    @rule(who=st.integers(0, 1), amount=AMOUNTS, key=KEYS)
    def earn(self, who: int, amount: int, key: str) -> None:
        key = f"earn:{key}"
        expected = self.model.move(key, DEPOSIT, wallet(who), amount, self.now)
        member = self.members[who]
        self.attempt(self.ledger.award_points(member, self.company, amount, "earn", key), expected)

    @rule(who=st.integers(0, 1), amount=AMOUNTS, key=KEYS)
    def spend(self, who: int, amount: int, key: str) -> None:
        key = f"spend:{key}"
        expected = self.model.move(key, wallet(who), REDEEMED, amount, self.now)
        self.attempt(self.ledger.spend(self.members[who], self.company, amount, key), expected)

    @rule(who=st.integers(0, 1), amount=AMOUNTS, key=KEYS)
    def reserve(self, who: int, amount: int, key: str) -> None:
        key = f"hold:{key}"
        expected = self.model.hold(key, who, amount)
        until = self.now + timedelta(days=1)
        member = self.members[who]
        self.attempt(
            self.ledger.spend(member, self.company, amount, key, hold_until=until), expected
        )

    @rule(key=KEYS)
    def redeem(self, key: str) -> None:
        expected = self.model.resolve(f"hold:{key}", post=True)
        self.attempt(self.ledger.post(f"hold:{key}"), expected)

    @rule(key=KEYS)
    def void(self, key: str) -> None:
        expected = self.model.resolve(f"hold:{key}", post=False)
        self.attempt(self.ledger.void(f"hold:{key}"), expected)

    @rule(key=KEYS, again=KEYS)
    def reverse(self, key: str, again: str) -> None:
        expected = self.model.reverse(f"earn:{key}", f"rev:{again}", self.now)
        self.attempt(self.ledger.reverse(f"earn:{key}", f"rev:{again}"), expected)

    @rule(days=st.integers(1, 4))
    def time_passes(self, days: int) -> None:
        self.now += timedelta(days=days)
        self.model.time_passes(self.now)
        self.run(self.ledger.settle_due(self.now))
        self.run(self.ledger.expire_due(self.now))

    async def _balances(self) -> dict[object, tuple[int, int, int]]:
        async with self.db() as session:
            rows = (
                await session.execute(
                    select(Account.code, Account.posted, Account.pending_out, Account.pending_in)
                )
            ).all()
        by_code = {row.code: (row.posted, row.pending_out, row.pending_in) for row in rows}
        return {account: by_code.get(code, (0, 0, 0)) for account, code in self.codes.items()}

    async def _pending(self) -> dict[str, int]:
        async with self.db() as session:
            rows = await session.execute(
                select(Transfer.key, Transfer.amount).where(Transfer.status == "pending")
            )
            return {row.key: row.amount for row in rows}

    async def _lots(self) -> dict[int, list[tuple[int, int, datetime]]]:
        lots: dict[int, list[tuple[int, int, datetime]]] = {}
        async with self.db() as session:
            for who in range(len(self.members)):
                rows = await session.execute(
                    select(Lot.amount, Lot.remaining, Lot.expires_at)
                    .join(Account, Lot.account_id == Account.id)
                    .where(Account.code == self.codes[wallet(who)])
                    .order_by(Lot.id)
                )
                lots[who] = [(a, r, e.replace(tzinfo=UTC)) for a, r, e in rows]
        return lots

    @invariant()
    def balances_are_the_models(self) -> None:
        expected = {
            account: (balance.posted, balance.pending_out, balance.pending_in)
            for account in self.codes
            for balance in [self.model.balance(account)]
        }
        found = self.run(self._balances())
        wrong = {
            account: f"database {found[account]}, model {expected[account]}"
            for account in expected
            if found[account] != expected[account]
        }
        assert not wrong, f"(posted, pending_out, pending_in) differ: {wrong}"

    @invariant()
    def pending_transfers_are_the_models(self) -> None:
        found, expected = self.run(self._pending()), self.model.pending()
        assert found == expected, f"pending transfers: database {found}, model {expected}"

    @invariant()
    def lots_and_their_expiries_are_the_models(self) -> None:
        expected = {
            who: [
                (lot.amount, lot.remaining, lot.expires_at) for lot in self.model.lots.get(who, [])
            ]
            for who in range(len(self.members))
        }
        found = self.run(self._lots())
        assert found == expected, (
            f"(amount, remaining, expires) lots: database {found}, model {expected}"
        )

    @invariant()
    def books_balance(self) -> None:
        assert self.run(check(self.db)) == []

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
# A passing run takes seconds; a failing one shrinks its example, one fresh
# database per try, which on a loaded machine takes minutes.
test_ledger_state_machine = pytest.mark.timeout(900)(LedgerMachine.TestCase)
