"""A model of one company's points ledger, in plain Python, for the state machine
in tests/integration/test_ledger_invariants.py: what each operation must answer
(done, repeated, or which refusal) and what every balance, pending transfer and
lot must be afterwards.

It restates the ledger's rules from its documentation, not from its code:
a repeated key with the same accounts and amount changes nothing, with others
it is a conflict; no account but funding goes below its available balance;
points are spent oldest-expiry first and lapse at their expiry; a hold takes
its points from the lots at once and gives them back when voided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from referral.ledger.errors import (
    AlreadyResolved,
    IdempotencyConflict,
    InsufficientDeposit,
    InsufficientPoints,
    LedgerError,
    UnknownTransfer,
)

# Accounts by what they are: ("member", 0) is the first member's wallet.
FUNDING, DEPOSIT, REDEEMED, EXPIRED = ("funding",), ("deposit",), ("redeemed",), ("expired",)
Account = tuple[object, ...]


def wallet(who: int) -> Account:
    return ("member", who)


@dataclass
class Balance:
    posted: int = 0
    pending_out: int = 0
    pending_in: int = 0

    @property
    def available(self) -> int:
        return self.posted - self.pending_out


@dataclass
class Lot:
    amount: int
    remaining: int
    expires_at: datetime


@dataclass
class Made:
    """A transfer the ledger holds: its identity for repeated keys, and a hold's state."""

    debit: Account
    credit: Account
    amount: int
    status: str = "posted"
    takes: list[tuple[int, int]] = field(default_factory=list)  # (lot index, points)


Outcome = bool | type[LedgerError]


@dataclass
class LedgerModel:
    points_ttl: timedelta
    balances: dict[Account, Balance] = field(default_factory=dict)
    lots: dict[int, list[Lot]] = field(default_factory=dict)  # by member, in credit order
    transfers: dict[str, Made] = field(default_factory=dict)

    def balance(self, account: Account) -> Balance:
        return self.balances.setdefault(account, Balance())

    def _repeat(self, key: str, debit: Account, credit: Account, amount: int) -> Outcome | None:
        earlier = self.transfers.get(key)
        if earlier is None:
            return None
        same = (earlier.debit, earlier.credit, earlier.amount) == (debit, credit, amount)
        return False if same else IdempotencyConflict

    def _covers(self, debit: Account, amount: int) -> bool:
        return debit == FUNDING or self.balance(debit).available >= amount

    def _take(self, who: int, amount: int) -> list[tuple[int, int]]:
        """Oldest expiry first; lots are credited in time order, so that is list order."""
        takes, left = [], amount
        for index, lot in enumerate(self.lots.get(who, [])):
            take = min(left, lot.remaining)
            if take:
                lot.remaining -= take
                takes.append((index, take))
                left -= take
        assert left == 0, "the model's lots disagree with its own balance"
        return takes

    def move(
        self, key: str, debit: Account, credit: Account, amount: int, now: datetime
    ) -> Outcome:
        """A transfer posted now."""
        repeated = self._repeat(key, debit, credit, amount)
        if repeated is not None:
            return repeated
        if not self._covers(debit, amount):
            return InsufficientDeposit if debit == DEPOSIT else InsufficientPoints
        self.balance(debit).posted -= amount
        self.balance(credit).posted += amount
        if debit[0] == "member":
            self._take(int(debit[1]), amount)  # type: ignore[call-overload]
        if credit[0] == "member":
            lot = Lot(amount, amount, now + self.points_ttl)
            self.lots.setdefault(int(credit[1]), []).append(lot)  # type: ignore[call-overload]
        self.transfers[key] = Made(debit, credit, amount)
        return True

    def hold(self, key: str, who: int, amount: int) -> Outcome:
        """A member's points reserved for the company's redeemed account."""
        debit, credit = wallet(who), REDEEMED
        repeated = self._repeat(key, debit, credit, amount)
        if repeated is not None:
            return repeated
        if not self._covers(debit, amount):
            return InsufficientPoints
        self.balance(debit).pending_out += amount
        self.balance(credit).pending_in += amount
        takes = self._take(who, amount)
        self.transfers[key] = Made(debit, credit, amount, "pending", takes)
        return True

    def resolve(self, key: str, post: bool) -> Outcome:
        made = self.transfers.get(key)
        if made is None:
            return UnknownTransfer
        if made.status != "pending":
            return AlreadyResolved
        debit, credit = self.balance(made.debit), self.balance(made.credit)
        debit.pending_out -= made.amount
        credit.pending_in -= made.amount
        if post:
            debit.posted -= made.amount
            credit.posted += made.amount
        else:
            lots = self.lots[int(made.debit[1])]  # type: ignore[call-overload]
            for index, take in made.takes:
                lots[index].remaining += take
        made.status = "posted" if post else "voided"
        return True

    def reverse(self, key: str, reversal_key: str, now: datetime) -> Outcome:
        original = self.transfers.get(key)
        if original is None or original.status != "posted":
            return UnknownTransfer
        return self.move(reversal_key, original.credit, original.debit, original.amount, now)

    def time_passes(self, now: datetime) -> None:
        """The timeout job voids every hold (held for a day), then lots past expiry lapse."""
        for key, made in self.transfers.items():
            if made.status == "pending":
                self.resolve(key, post=False)
        for who, lots in self.lots.items():
            for lot in lots:
                if lot.expires_at <= now and lot.remaining:
                    self.balance(wallet(who)).posted -= lot.remaining
                    self.balance(EXPIRED).posted += lot.remaining
                    lot.remaining = 0

    def pending(self) -> dict[str, int]:
        return {
            key: made.amount for key, made in self.transfers.items() if made.status == "pending"
        }
