"""Automatic insights: a weekly figure that moved beyond its own noise.

The noise rule, checkable by hand: take the metric over the last complete
week and over each of the four weeks before it. The change is reported when

* it is larger than ``SIGMAS`` (2) population standard deviations of the four
  earlier weeks around their mean, and
* it is at least ``MIN_RELATIVE`` (5%) of that mean (a flat history has no
  spread, and a 1% wobble is still not news), and
* the week's base (buyers, or new members for that metric) is at least the
  floor (MIN_AUDIENCE).

Weeks [90, 110, 90, 110] have mean 100 and deviation 10: 115 is noise
(15 < 20), 125 is news (+25%).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from referral.analytics.days import week_of_day
from referral.analytics.words import INSIGHT, METRICS, MOSTLY

SIGMAS = 2.0
MIN_RELATIVE = 0.05
BASELINE_WEEKS = 4
ADDITIVE = ("revenue", "purchases", "buyers", "new_members")


def beyond_noise(history: list[float], current: float) -> bool:
    if len(history) < BASELINE_WEEKS:
        return False
    mean = float(np.mean(history))
    spread = float(np.std(history))  # population deviation (ddof 0)
    change = abs(current - mean)
    return mean > 0 and change > SIGMAS * spread and change >= MIN_RELATIVE * mean


@dataclass(frozen=True)
class Insight:
    metric: str
    current: float
    baseline: float
    change: float  # relative, -0.12 for a 12% fall
    segment: str | None  # where most of the change happened

    def words(self, language: str) -> str:
        name, rose, fell = METRICS[self.metric][language]
        text = INSIGHT[language].format(
            metric=name,
            direction=rose if self.change > 0 else fell,
            percent=round(abs(self.change) * 100),
        )
        if self.segment:
            text += MOSTLY[language].format(segment=self.segment)
        return text[0].upper() + text[1:]


def weekly(days: pd.DataFrame, firsts: pd.Series) -> pd.DataFrame:
    """Per week: revenue, purchases, buyers, average check, new members.
    ``days``: member_id, day, purchases, revenue_minor; ``firsts``: first day per member."""
    frame = days.assign(week=[week_of_day(int(d)) for d in days["day"]])
    out = frame.groupby("week").agg(
        revenue=("revenue_minor", "sum"),
        purchases=("purchases", "sum"),
        buyers=("member_id", "nunique"),
    )
    new = pd.Series([week_of_day(int(d)) for d in firsts], dtype="int64").value_counts()
    out["new_members"] = new.reindex(out.index).fillna(0)
    out["average_check"] = out["revenue"] / out["purchases"]
    return out


def find(
    days: pd.DataFrame,
    firsts: pd.Series,
    segment_of: pd.Series,
    this_week: int,
    floor: int,
) -> list[Insight]:
    """Insights for the last complete week (``this_week`` - 1). ``segment_of``
    maps member_id to a segment name for "mostly in"."""
    last = this_week - 1
    weeks = list(range(last - BASELINE_WEEKS, last + 1))
    window = days[[week_of_day(int(d)) in weeks for d in days["day"]]]
    table = weekly(window, firsts).reindex(weeks).fillna(0)
    if table.loc[last, "buyers"] < floor:
        return []
    found = []
    for metric in ("revenue", "purchases", "average_check", "buyers", "new_members"):
        history = [float(v) for v in table.loc[weeks[:-1], metric]]
        current = float(table.loc[last, metric])
        if metric == "new_members" and current < floor:
            continue
        if not beyond_noise(history, current):
            continue
        baseline = float(np.mean(history))
        segment = _mostly(window, firsts, segment_of, metric, weeks, current > baseline, floor)
        found.append(Insight(metric, current, baseline, current / baseline - 1.0, segment))
    return found


def _mostly(
    window: pd.DataFrame,
    firsts: pd.Series,
    segment_of: pd.Series,
    metric: str,
    weeks: list[int],
    rose: bool,
    floor: int,
) -> str | None:
    """The segment whose own change, weighted by its share, moved the metric most."""
    if segment_of.empty:
        return None
    best, best_effect = None, 0.0
    total_purchases = window.loc[
        [week_of_day(int(d)) == weeks[-1] for d in window["day"]], "purchases"
    ].sum()
    for name, members in segment_of.groupby(segment_of).groups.items():
        inside = window[window["member_id"].isin(members)]
        if inside.empty:
            continue
        table = weekly(inside, firsts[firsts.index.isin(members)]).reindex(weeks).fillna(0)
        if table.loc[weeks[-1], "buyers"] < floor:
            continue
        now, before = table.loc[weeks[-1], metric], table.loc[weeks[:-1], metric].mean()
        effect = float(now - before)
        if metric not in ADDITIVE:
            share = table.loc[weeks[-1], "purchases"] / total_purchases if total_purchases else 0
            effect = float(np.nan_to_num(effect)) * float(share)
        if (effect > best_effect) if rose else (effect < best_effect):
            best, best_effect = str(name), effect
    return best
