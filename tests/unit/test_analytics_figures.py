"""The workspace's figures on small cases computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from referral.analytics.days import month_number
from referral.analytics.figures import (
    cohorts,
    lifetime_value,
    month_retention,
    percentile_rank,
    rfm,
)
from referral.analytics.insights import Insight, beyond_noise
from referral.analytics.peers import compare
from referral.analytics.words import plural

JAN, FEB, MAR = (month_number(pd.Timestamp(f"2026-0{m}-01").date()) for m in (1, 2, 3))


def active(pairs: dict[int, list[int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(member, month) for member, months in pairs.items() for month in months],
        columns=["member_id", "month"],
    )


def test_cohort_cells_are_shares_of_the_cohort_and_small_counts_are_hidden() -> None:
    # January cohort: 6 members; 3 come back in February, 2 in March.
    # February cohort: 2 members, under the floor of 3 -> hidden whole.
    days = active(
        {
            1: [JAN, FEB],
            2: [JAN, FEB, MAR],
            3: [JAN, FEB, MAR],
            4: [JAN],
            5: [JAN],
            6: [JAN],
            7: [FEB],
            8: [FEB, MAR],
        }
    )
    table = cohorts(days, current_month=MAR, floor=3)
    assert table[0] == {"cohort": "2026-01", "size": 6, "cells": [1.0, 0.5, None]}
    assert table[1] == {"cohort": "2026-02", "size": None, "cells": []}


def test_month_retention_pools_complete_pairs_only() -> None:
    days = active({1: [JAN, FEB], 2: [JAN], 3: [FEB, MAR]})
    # Pairs whose second month ended before March: (1, Jan), (2, Jan) -> 1 returned.
    # February buyers are not counted: March has not ended.
    assert month_retention(days, current_month=MAR) == (2, 1)


def test_rfm_scores_by_tertile_and_groups() -> None:
    customers = pd.DataFrame(
        {
            "member_id": [1, 2, 3, 4, 5, 6],
            "last_day": [100, 99, 90, 80, 50, 40],  # today 100: recency 0,1,10,20,50,60
            "visits": [9, 1, 8, 5, 7, 1],
            "revenue_minor": [600, 500, 400, 300, 200, 100],
        }
    )
    scores = rfm(customers, today=100).set_index("member_id")
    assert list(scores["r"]) == [3, 3, 2, 2, 1, 1]
    assert list(scores["f"]) == [3, 1, 3, 2, 2, 1]
    assert list(scores["m"]) == [3, 3, 2, 2, 1, 1]
    assert list(scores["group"]) == ["champions", "new", "loyal", "promising", "at_risk", "lost"]


def test_percentile_rank_counts_ties_half() -> None:
    assert percentile_rank(10, [5, 10, 20, 30]) == 37.5
    assert percentile_rank(40, [5, 10, 20, 30]) == 100.0
    assert percentile_rank(1, [5, 10, 20, 30]) == 0.0
    assert percentile_rank(1, []) is None


def test_peers_need_five_partners_in_the_category() -> None:
    metrics = {
        c: {"average_check": float(c), "frequency": 1.0, "retention": None, "growth": 0.1}
        for c in range(1, 6)
    }
    categories = {1: "cafe", 2: "cafe", 3: "cafe", 4: "cafe", 5: "gym"}
    assert compare(metrics, categories, 1)["percentiles"] is None
    categories[5] = "cafe"
    result = compare(metrics, categories, 3)
    assert result["partners"] == 5
    assert result["percentiles"]["average_check"] == 50.0  # 1, 2 below; 4, 5 above
    assert result["percentiles"]["frequency"] == 50.0  # all equal: half
    assert result["percentiles"]["retention"] is None


@pytest.mark.parametrize(
    ("history", "current", "news"),
    [
        ([90, 110, 90, 110], 115, False),  # 15 within 2 x 10
        ([90, 110, 90, 110], 125, True),
        ([90, 110, 90, 110], 75, True),
        ([100, 100, 100, 100], 104, False),  # no spread, but under 5%
        ([100, 100, 100, 100], 106, True),
        ([100, 100, 100], 200, False),  # too short a history
        ([0, 0, 0, 0], 50, False),  # nothing to compare with
    ],
)
def test_the_noise_rule(history: list[float], current: float, news: bool) -> None:
    assert beyond_noise(history, current) is news


def test_insight_words_in_both_languages() -> None:
    fell = Insight("average_check", 880, 1000, -0.12, "frequent members")
    assert fell.words("en") == (
        "The average check fell 12% against the previous four weeks, mostly in segment "
        "“frequent members”"
    )
    assert fell.words("ru").startswith("Средний чек упал на 12%")


def test_lifetime_value_is_check_times_frequency_times_expected_months() -> None:
    value = lifetime_value(
        revenue_minor=10_000, purchases=10, member_months=5, buyers=10, returned=5, floor=5
    )
    # check 1000, 2 purchases a month, retention 0.5 -> 2 expected months.
    assert value["ltv_minor"] == 4000
    assert value["lifetime_months"] == 2.0
    assert lifetime_value(10_000, 10, 5, 4, 2, floor=5)["ltv_minor"] is None


@pytest.mark.parametrize(
    ("count", "ru", "en"),
    [
        (1, "1 день", "1 day"),
        (3, "3 дня", "3 days"),
        (11, "11 дней", "11 days"),
        (21, "21 день", "21 days"),
        (45, "45 дней", "45 days"),
    ],
)
def test_plural_forms(count: int, ru: str, en: str) -> None:
    assert plural("ru", count, "day") == ru
    assert plural("en", count, "day") == en


def test_find_reports_a_fall_beyond_noise_and_where_it_happened() -> None:
    from referral.analytics.days import week_start
    from referral.analytics.insights import find

    this_week = 3000
    rows = []
    for week in range(this_week - 5, this_week):  # five complete weeks
        monday = week_start(week)
        for member in range(10):  # members 0-4 in "big", 5-9 in "small"
            amount = 1000 if member < 5 else 200
            if week == this_week - 1 and member < 5:
                amount = 500  # the big spenders halve their check in the last week
            rows.append((member, monday + member % 7, 1, amount))
    days = pd.DataFrame(rows, columns=["member_id", "day", "purchases", "revenue_minor"])
    firsts = days.groupby("member_id")["day"].min()
    segments = pd.Series(["big"] * 5 + ["small"] * 5, index=range(10))
    found = {i.metric: i for i in find(days, firsts, segments, this_week, floor=5)}
    assert set(found) == {"revenue", "average_check"}  # purchases and buyers did not move
    assert found["revenue"].change == pytest.approx(3500 / 6000 - 1)
    assert found["revenue"].segment == "big"
    assert found["average_check"].segment == "big"
    assert find(days, firsts, segments, this_week, floor=11) == []  # 10 buyers: under the floor


def test_churn_reasons_are_the_largest_terms_raising_the_risk_in_words() -> None:
    from referral.analytics.churn import reasons

    row = pd.Series(
        {
            "visits_before": 8,
            "visits_last": 2,
            "recency_days": 21.0,
            "frequency": 3.2,
            "check_before": 120_000.0,
            "check_last": 90_000.0,
            "tenure_days": 400.0,
        }
    )
    terms = pd.Series(
        {
            "visits_change": 1.5,
            "recency_days": 0.9,
            "frequency": -0.4,
            "amount_change": 0.3,
            "tenure_days": 0.1,
        }
    )
    assert reasons(row, terms, period=30, language="en") == [
        "visits fell from more than weekly to every two weeks",
        "no purchase for 21 days",
        "the average check fell from 1200 to 900 RUB",
    ]
    assert reasons(row, terms, period=30, language="ru")[1] == "нет покупок уже 21 день"
    jumped = row.copy()
    jumped["visits_before"], jumped["visits_last"] = 1, 9
    assert reasons(jumped, terms, 30, "en")[0] == "visits jumped from monthly to more than weekly"
    # Only terms above zero raise the risk: reversed, frequency alone does.
    assert reasons(row, -terms, 30, "en") == ["3 visits a month on average"]
    assert reasons(row, terms * 0 - 1, 30, "en") == []
