"""A partner's numbers on tiny hand-computed histories, and what stays hidden."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from bot.messages.stats import stats_chart, stats_text
from bot.texts import texts_for
from referral.offers.stats import LEAD_COLUMNS, PURCHASE_COLUMNS, Share, compute, share


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


LEADS = pd.DataFrame(
    [(1, "m1", "s1", at(6, 10)), (2, "m2", "s1", at(6, 10)), (3, "m3", "s2", at(6, 10))],
    columns=LEAD_COLUMNS,
)
PURCHASES = pd.DataFrame(
    [
        ("m1", "s1", at(6, 5), 100),  # before m1's lead: not a conversion
        ("m1", "s1", at(6, 12), 300),  # after it: converts lead 1
        ("m2", "s1", at(6, 10), 200),  # at the lead's time: converts lead 2
        ("m3", "s1", at(7, 1), 400),  # another service than m3's lead
        ("m1", "s1", at(7, 3), 500),
    ],
    columns=PURCHASE_COLUMNS,
)


def test_conversion_arppu_check_and_retention_by_hand():
    stats = compute("Cafe", 3, LEADS, PURCHASES, now=at(8, 15), floor=1)
    assert (stats.leads.value, stats.converted.value) == (3, 2)
    assert stats.conversion == Share(value=2 / 3)
    assert (stats.payers.value, stats.purchases.value) == (3, 5)
    assert (stats.arppu_minor, stats.average_check_minor) == (500, 300)  # 1500 / 3, 1500 / 5
    # June buyers m1, m2; July buyers m3, m1: one of two came back. July -> August
    # does not count yet: August has not ended.
    [june] = stats.months
    assert (june.month, june.next_month, june.buyers.value, june.returned.value) == (
        "2026-06",
        "2026-07",
        2,
        1,
    )
    assert stats.retention == Share(value=0.5)


def test_retention_waits_for_the_next_month_to_end():
    stats = compute("Cafe", 3, LEADS, PURCHASES, now=at(7, 20), floor=1)
    assert stats.months == [] and stats.retention == Share(empty=True)  # nothing to divide yet


def test_small_counts_are_hidden_and_shares_over_them_withheld():
    stats = compute("Cafe", 3, LEADS, PURCHASES, now=at(8, 15), floor=5)
    assert stats.members.hidden and stats.leads.hidden and stats.payers.hidden
    assert stats.conversion == Share() and stats.retention == Share()
    assert stats.arppu_minor is None and stats.average_check_minor == 300  # five purchases
    assert share(1, 10, 5) == Share(under=0.5)  # a hidden part gives only a bound


def test_words_never_show_a_hidden_count():
    stats = compute("Cafe <b>", 3, LEADS, PURCHASES, now=at(8, 15), floor=5)
    english = stats_text(texts_for("en"), stats)
    assert "through your QR code: fewer than 5." in english and "Cafe &lt;b&gt;" in english
    assert "accepted): fewer than 5; paid for that service afterwards: fewer than 5" in english
    assert "Paying members: fewer than 5, purchases: 5." in english
    assert "(ARPPU): not shown" in english and "Average check: 3 ₽" in english
    assert "Участников пришло по вашему QR-коду: меньше 5." in stats_text(texts_for("ru"), stats)
    png = stats_chart(texts_for("en"), stats)
    assert png.startswith(b"\x89PNG")


def test_no_history_at_all():
    empty = compute(
        "New",
        0,
        pd.DataFrame(columns=LEAD_COLUMNS),
        pd.DataFrame(columns=PURCHASE_COLUMNS),
        at(8, 1),
        5,
    )
    assert empty.members.hidden and empty.conversion == Share() and empty.months == []
    assert "fewer than 5" in stats_text(texts_for("en"), empty)


def test_months_are_the_banks_calendar_months_not_utcs():
    moscow = ZoneInfo("Europe/Moscow")  # UTC+3
    # 22:30 UTC on 30 June is 01:30 on 1 July in Moscow.
    late_june_utc = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)
    purchases = pd.DataFrame(
        [("m1", "s1", at(6, 10), 100), ("m1", "s1", late_june_utc, 100)],
        columns=PURCHASE_COLUMNS,
    )
    no_leads = pd.DataFrame([], columns=LEAD_COLUMNS)
    in_utc = compute("Cafe", 1, no_leads, purchases, now=at(9, 15), floor=1)
    in_moscow = compute("Cafe", 1, no_leads, purchases, now=at(9, 15), floor=1, zone=moscow)
    assert [(p.month, p.returned.value) for p in in_utc.months] == [("2026-06", 0)]
    assert [(p.month, p.returned.value) for p in in_moscow.months] == [
        ("2026-06", 1),
        ("2026-07", 0),
    ]


def test_under_a_floor_of_one_nobody_reads_zero_not_fewer_than_one():
    # "fewer than 1" can only mean 0: hiding it would hide nothing, so the words say 0.
    empty = compute(
        "New",
        0,
        pd.DataFrame(columns=LEAD_COLUMNS),
        pd.DataFrame(columns=PURCHASE_COLUMNS),
        at(8, 1),
        1,
    )
    english = stats_text(texts_for("en"), empty)
    russian = stats_text(texts_for("ru"), empty)
    assert "through your QR code: 0." in english and "fewer than 1" not in english
    assert "Paying members: 0, purchases: 0." in english
    assert "Участников пришло по вашему QR-коду: 0." in russian and "меньше 1" not in russian
    assert empty.members.hidden  # the API's flag is unchanged: still under the floor
    # Shares follow the same rule, in the domain: 0 of 3 is 0%, not "under 34%".
    assert share(0, 3, 1) == Share(value=0.0) and share(0, 3, 2) == Share(under=2 / 3)
