"""The offer incentive rules as a partner writes them (`refbot rules set`), and
the cashback an upsell needs to land near the member's usual price."""

from __future__ import annotations

import pytest

from referral.ledger.errors import InvalidRule
from referral.ledger.rules import parse_rules
from referral.offers.incentives import cashback_to_reach


def test_incentive_rules_parse_to_their_columns():
    columns, _ = parse_rules(
        {
            "upsell_margin": "5",
            "upsell_cashback_max": "25.5",
            "spend_drop_cashback": "3%",
            "retention_points": "150",
            "retention_period_days": "30",
            "retention_min_spend": "500.50",
        }
    )
    assert columns == {
        "upsell_margin_bp": 500,
        "upsell_cashback_max_bp": 2550,
        "spend_drop_bp": 300,
        "retention_points": 150,
        "retention_period_days": 30,
        "retention_min_spend_minor": 50050,
    }
    assert parse_rules({"upsell_margin": "off"})[0] == {"upsell_margin_bp": None}


@pytest.mark.parametrize(
    "key,value",
    [
        ("upsell_margin", "five"),
        ("upsell_cashback_max", "120"),
        ("spend_drop_cashback", "-1"),
        ("retention_points", "1.5"),
        ("retention_min_spend", "-3"),
    ],
)
def test_a_bad_incentive_rule_is_refused(key, value):
    with pytest.raises(InvalidRule):
        parse_rules({key: value})


def test_upsell_cashback_brings_the_price_within_the_margin_never_above():
    # A 200 latte, 5% margin: a 260 raf needs 19.24% back to cost 209.98 <= 210.
    bp = cashback_to_reach(26_000, 20_000, 500)
    assert bp == 1924 and 26_000 - 26_000 * bp // 10_000 <= 21_000
    assert cashback_to_reach(21_000, 20_000, 500) == 0  # already within the margin
    for price in range(20_001, 40_000, 37):
        bp = cashback_to_reach(price, 20_000, 500)
        assert (
            price - price * bp // 10_000 <= 21_000 < price - price * (bp - 1) // 10_000 or bp == 0
        )
