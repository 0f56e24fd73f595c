"""A company's earning rules in plain words, for members (one place, both languages)."""

from __future__ import annotations

from html import escape

from bot.texts import Texts, roubles
from referral.ledger.rules import RuleSet


def percent(basis_points: int) -> str:
    """525 -> "5.25", 500 -> "5": no floats on the way."""
    whole, frac = divmod(basis_points, 100)
    return f"{whole}.{frac:02d}".rstrip("0").rstrip(".")


def rules_in_words(texts: Texts, company: str, rules: RuleSet) -> str:
    lines = [texts("wallet.rules.title", company=escape(company))]
    if rules.purchase_points or rules.cashback_bp:
        lines.append(
            texts(
                "wallet.rules.purchase",
                points=rules.purchase_points,
                percent=percent(rules.cashback_bp),
            )
        )
        if rules.return_window_days:
            lines.append(texts("wallet.rules.return_window", days=rules.return_window_days))
        else:
            lines.append(texts("wallet.rules.immediate"))
    for kind in ("invite", "review", "survey"):
        points = getattr(rules, f"{kind}_points")
        if points:
            lines.append(texts(f"wallet.rules.{kind}", points=points))
    lines += incentive_rules(texts, rules)
    if rules.points_ttl_days is None:
        lines.append(texts("wallet.rules.no_expiry"))
    else:
        lines.append(texts("wallet.rules.expiry", days=rules.points_ttl_days))
    return "\n".join(lines)


def incentive_rules(texts: Texts, rules: RuleSet) -> list[str]:
    """The offers' incentives the partner switched on (`refbot rules set`):
    upsell, spend drop, retention bonus (referral.offers.incentives, payouts)."""
    lines = []
    if rules.upsell_margin_bp is not None:
        lines.append(
            texts(
                "wallet.rules.upsell",
                max=percent(rules.upsell_cashback_max_bp),
                margin=percent(rules.upsell_margin_bp),
            )
        )
    if rules.spend_drop_bp:
        lines.append(texts("wallet.rules.spend_drop", percent=percent(rules.spend_drop_bp)))
    if rules.retention_points > 0:
        line = texts(
            "wallet.rules.retention",
            points=rules.retention_points,
            days=rules.retention_period_days,
        )
        if rules.retention_min_spend_minor:
            amount = roubles(rules.retention_min_spend_minor)
            line += " " + texts("wallet.rules.retention_min_spend", amount=amount)
        lines.append(line)
    return lines
