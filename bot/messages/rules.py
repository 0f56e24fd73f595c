"""A company's earning rules in plain words, for members (one place, both languages)."""

from __future__ import annotations

from html import escape

from bot.texts import Texts
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
    if rules.points_ttl_days is None:
        lines.append(texts("wallet.rules.no_expiry"))
    else:
        lines.append(texts("wallet.rules.expiry", days=rules.points_ttl_days))
    return "\n".join(lines)
