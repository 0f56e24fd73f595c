"""Earning rules per company, kept as data: `refbot rules set CODE key=value ...`.

Keys: invite_points, review_points, survey_points, purchase_points (whole
points), cashback (percent of a purchase, up to two decimals: stored as basis
points), cashback.SERVICE (the same for one service of the catalogue),
points_ttl_days ("never" or days), return_window_days, voucher_ttl_hours,
point_value (kopecks a point is worth when spent), invite_daily_cap,
invite_total_cap, require_phone (yes/no).

Offer incentives (referral.offers.incentives says how each works):
upsell_margin (percent over the member's usual price an upsell may cost them
after its cashback; "off" switches upsell off), upsell_cashback_max (the most
cashback an upsell may carry, percent), spend_drop_cashback (extra cashback,
percent, on offers to a member whose weekly spend dropped; 0 is off),
retention_points (bonus points with a retention offer; 0 is off),
retention_period_days (at most one bonus per member in that many days),
retention_min_spend (roubles the member spent at the partner to qualify).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.companies import by_code
from referral.ledger.bookkeeping_models import Rules
from referral.ledger.catalogue_models import Service
from referral.ledger.csvfile import parse_money
from referral.ledger.errors import InvalidRule, UnknownService
from referral.stamps import bump

_PERCENT = re.compile(r"^(\d{1,3})(?:\.(\d{1,2}))?%?$")
_COUNTS = (
    "invite_points",
    "review_points",
    "survey_points",
    "purchase_points",
    "return_window_days",
    "voucher_ttl_hours",
    "invite_daily_cap",
    "invite_total_cap",
    "retention_points",
)
_PERCENTS = {
    "upsell_cashback_max": "upsell_cashback_max_bp",
    "spend_drop_cashback": "spend_drop_bp",
}


@dataclass(frozen=True)
class RuleSet:
    """A company's rules with the defaults filled in."""

    invite_points: int = 0
    review_points: int = 0
    survey_points: int = 0
    purchase_points: int = 0
    cashback_bp: int = 0
    points_ttl_days: int | None = None
    return_window_days: int = 14
    voucher_ttl_hours: int = 72
    point_value_minor: int = 100
    invite_daily_cap: int = 5
    invite_total_cap: int = 50
    require_phone: bool = False
    upsell_margin_bp: int | None = None  # None: no upsell offers
    upsell_cashback_max_bp: int = 3000
    spend_drop_bp: int = 0
    retention_points: int = 0
    retention_period_days: int = 30
    retention_min_spend_minor: int = 0


def percent_to_bp(text: str) -> int:
    """ "5", "5%", "2.5" -> basis points, without floats."""
    match = _PERCENT.match(text.strip())
    if not match:
        raise InvalidRule(f"{text!r} is not a percent like 5 or 2.5")
    whole, frac = int(match.group(1)), int((match.group(2) or "0").ljust(2, "0"))
    bp = whole * 100 + frac
    if bp > 10_000:
        raise InvalidRule(f"{text!r} is over 100%")
    return bp


def _count(key: str, text: str) -> int:
    if not text.strip().isdigit() or int(text) > 10**9:
        raise InvalidRule(f"{key} must be a whole number >= 0, not {text!r}")
    return int(text)


def _money(key: str, text: str) -> int:
    try:
        amount = parse_money(text)
    except ValueError:
        amount = -1
    if amount < 0:
        raise InvalidRule(f"{key} must be an amount in roubles like 500 or 99.50, not {text!r}")
    return amount


def parse_rules(values: dict[str, str]) -> tuple[dict[str, object], dict[str, int]]:
    """(rule columns, per-service cashback in basis points) from key=value text."""
    columns: dict[str, object] = {}
    per_service: dict[str, int] = {}
    for key, text in values.items():
        if key in _COUNTS:
            columns[key] = _count(key, text)
        elif key == "cashback":
            columns["cashback_bp"] = percent_to_bp(text)
        elif key in _PERCENTS:
            columns[_PERCENTS[key]] = percent_to_bp(text)
        elif key == "upsell_margin":
            off = text.strip().lower() in ("off", "no", "none")
            columns["upsell_margin_bp"] = None if off else percent_to_bp(text)
        elif key == "retention_period_days":
            columns[key] = _count(key, text) or 1
        elif key == "retention_min_spend":
            columns["retention_min_spend_minor"] = _money(key, text)
        elif key.startswith("cashback."):
            per_service[key.removeprefix("cashback.")] = percent_to_bp(text)
        elif key == "points_ttl_days":
            columns[key] = None if text.strip().lower() == "never" else _count(key, text) or None
        elif key == "point_value":
            columns["point_value_minor"] = _count(key, text) or 1
        elif key == "require_phone":
            if text.lower() not in ("yes", "no", "true", "false", "1", "0"):
                raise InvalidRule(f"require_phone must be yes or no, not {text!r}")
            columns[key] = text.lower() in ("yes", "true", "1")
        else:
            raise InvalidRule(f"unknown rule {key!r}")
    return columns, per_service


async def rules_of(session: AsyncSession, company_id: int) -> RuleSet:
    row = await session.get(Rules, company_id)
    return RuleSet() if row is None else _rule_set(row)


def _rule_set(row: Rules) -> RuleSet:
    return RuleSet(**{f.name: getattr(row, f.name) for f in fields(RuleSet)})


async def all_rules(session: AsyncSession) -> dict[int, RuleSet]:
    """Every company's rules that were ever set (a missing company has the defaults)."""
    return {row.company_id: _rule_set(row) for row in await session.scalars(select(Rules))}


class RuleService:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def get(self, company_id: int) -> RuleSet:
        async with self.db() as session:
            return await rules_of(session, company_id)

    async def set(self, company_code: str, values: dict[str, str]) -> RuleSet:
        columns, per_service = parse_rules(values)
        async with self.db.begin() as session:
            company = await by_code(session, company_code)
            row = await session.get(Rules, company.id)
            if row is None:
                row = Rules(
                    company_id=company.id,
                    **{f.name: getattr(RuleSet(), f.name) for f in fields(RuleSet)},
                )
                session.add(row)
            for key, value in columns.items():
                setattr(row, key, value)
            for code, bp in per_service.items():
                result = await session.execute(
                    update(Service)
                    .where(Service.company_id == company.id, Service.code == code)
                    .values(cashback_bp=bp)
                )
                if not result.rowcount:
                    raise UnknownService(f"no service {code!r} in {company_code}'s catalogue")
            await bump(session)  # offers show cashback and apply the offer rules
            await session.flush()
            return await rules_of(session, company.id)

    async def cashback_overrides(self, company_id: int) -> dict[str, int]:
        async with self.db() as session:
            return dict(
                (
                    await session.execute(
                        select(Service.code, Service.cashback_bp).where(
                            Service.company_id == company_id, Service.cashback_bp.is_not(None)
                        )
                    )
                ).all()
            )
