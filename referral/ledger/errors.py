"""Refusals of the ledger and the features built on it; the bot and CLI turn them into words."""

from __future__ import annotations

from referral.errors import DomainError


class LedgerError(DomainError):
    """Base of every refusal of the ledger."""


class InsufficientPoints(LedgerError):
    """The member's available balance does not cover the debit."""


class InsufficientDeposit(LedgerError):
    """The partner's liability deposit does not cover what it would issue."""

    def __init__(
        self,
        company_code: str,
        currency: str,
        available: int,
        needed: int,
        company_id: int | None = None,
    ) -> None:
        self.company_id = company_id
        self.company_code = company_code
        self.currency = currency
        self.available = available
        self.needed = needed
        super().__init__(
            f"company {company_code!r} has {available} {currency} left in its deposit, "
            f"{needed} needed; the operator tops it up with "
            f"`refbot deposit {company_code} AMOUNT --currency {currency}`"
        )


class IdempotencyConflict(LedgerError):
    """A key already used for a different transfer."""


class UnknownTransfer(LedgerError):
    """No transfer with that idempotency key."""


class AlreadyResolved(LedgerError):
    """A pending transfer that was already posted or voided."""


class InvalidAmount(LedgerError):
    """An amount that is zero, negative or not a whole number of minor units."""


class InvalidRule(LedgerError):
    """An earning rule that does not parse (unknown key, bad number or percent)."""


class UnknownService(LedgerError):
    """No active service with that code or id at the company."""


class InvalidBundle(LedgerError):
    """A bundle with too few services, a bad percent, or services the company lacks."""


class InvalidFile(LedgerError):
    """A partner file with malformed rows; ``problems`` are (line, reason)."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        lines = "; ".join(f"line {n}: {why}" for n, why in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"nothing imported, {len(problems)} bad row(s): {lines}{more}")


class VoucherRefused(LedgerError):
    """Unknown, expired, already redeemed, another company's, or too many guesses."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"voucher refused: {reason}")


class ReviewRefused(LedgerError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"review refused: {reason}")


class InvalidBatch(LedgerError):
    """Items sent together with problems: (where, reason) pairs, ``where`` a path
    such as ("purchases", 3, "service"); nothing of the batch was applied."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        self.problems = problems
        first = "; ".join(
            f"{'.'.join(str(part) for part in where)}: {why}" for where, why in problems[:5]
        )
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"nothing applied, {len(problems)} problem(s): {first}{more}")
