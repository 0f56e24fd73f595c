"""Churn risk of one company's members with the three reasons in words.

Features at a cut-off day T over a period of P days, from the member-days:
visits in (T - P, T] against (T - 2P, T - P] (``visits_change``, log ratio),
days since the last visit, visits per 30 days of tenure, the average check
of the last period against the one before (``amount_change``, log ratio),
tenure in days. The label at T: fewer visits in (T, T + P] than in
(T - P, T]. The model (:class:`recommender.explained_churn.ExplainedChurn`,
a logistic regression) is fitted at T = today - P and scores members active
in the last period today; a member's reasons are the features whose exact
log-odds terms raise their risk most.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from referral.analytics.words import LANGUAGES, REASONS, plural, rate_words

FEATURES = ["visits_change", "recency_days", "frequency", "amount_change", "tenure_days"]
MIN_RISK = 0.5
TOP = 20


def period_days(days: pd.DataFrame) -> int:
    """A period that fits three times into the history: 30 days, fewer when short."""
    if days.empty:
        return 30
    span = int(days["day"].max() - days["day"].min())
    return int(max(7, min(30, span // 3)))


def features_at(days: pd.DataFrame, cutoff: int, period: int) -> pd.DataFrame:
    """Index member_id: the model's features plus the raw rates the words quote."""
    past = days[days["day"] <= cutoff]
    if past.empty:
        return pd.DataFrame(columns=FEATURES)
    grouped = past.groupby("member_id")
    first, last_day = grouped["day"].min(), grouped["day"].max()
    recent = past[past["day"] > cutoff - period].groupby("member_id")
    earlier = past[(past["day"] > cutoff - 2 * period) & (past["day"] <= cutoff - period)]
    earlier = earlier.groupby("member_id")
    out = pd.DataFrame(index=first.index)
    out["visits_last"] = recent.size().reindex(out.index).fillna(0)
    out["visits_before"] = earlier.size().reindex(out.index).fillna(0)
    check_last = (recent["revenue_minor"].sum() / recent["purchases"].sum()).reindex(out.index)
    check_before = (earlier["revenue_minor"].sum() / earlier["purchases"].sum()).reindex(out.index)
    out["check_last"], out["check_before"] = check_last, check_before
    tenure = (cutoff - first).astype(float)
    out["visits_change"] = np.log1p(out["visits_last"]) - np.log1p(out["visits_before"])
    out["recency_days"] = (cutoff - last_day).astype(float)
    out["frequency"] = grouped.size() / np.maximum(tenure, 30.0) * 30.0
    out["amount_change"] = (np.log1p(check_last) - np.log1p(check_before)).fillna(0.0)
    out["tenure_days"] = tenure
    return out[out["visits_last"] > 0]


def labelled(days: pd.DataFrame, cutoff: int, period: int) -> tuple[pd.DataFrame, pd.Series]:
    features = features_at(days, cutoff, period)
    later = days[(days["day"] > cutoff) & (days["day"] <= cutoff + period)]
    after = later.groupby("member_id").size().reindex(features.index).fillna(0)
    return features, (after < features["visits_last"]).astype(int)


def reasons(row: pd.Series, terms: pd.Series, period: int, language: str) -> list[str]:
    """The three features raising this member's risk most, worded."""
    words = []
    for feature in terms[terms > 0].sort_values(ascending=False).index[:3]:
        words.append(_word(feature, row, period, language))
    return words


def _word(feature: str, row: pd.Series, period: int, language: str) -> str:
    """The member's own values behind a feature; the verb follows their direction
    (a model may well read a jump in visits as a sign of a fall to come)."""
    template = REASONS[feature][language]
    if feature == "visits_change":
        per_30 = 30.0 / period
        if row["visits_last"] > row["visits_before"]:
            template = REASONS["visits_rose"][language]
        return template.format(
            before=rate_words(language, row["visits_before"] * per_30),
            last=rate_words(language, row["visits_last"] * per_30),
        )
    if feature in ("recency_days", "tenure_days"):
        return template.format(days=plural(language, int(row[feature]), "day"))
    if feature == "frequency":
        return template.format(visits=plural(language, max(1, round(row["frequency"])), "visit"))
    before = row["check_before"] if not np.isnan(row["check_before"]) else row["check_last"]
    if row["check_last"] > before:
        template = REASONS["amount_rose"][language]
    return template.format(before=round(before / 100), last=round(row["check_last"] / 100))


def at_risk(days: pd.DataFrame, today: int, floor: int) -> dict:
    """The ranked list (value = revenue of the last 365 days), or why there is none."""
    # Imported here: scikit-learn costs a second and a half at import, paid
    # by the analytics job only, never by the bot's start.
    from recommender.explained_churn import ExplainedChurn

    period = period_days(days)
    train, fell = labelled(days, today - period, period)
    if len(train) < max(floor, 10) or fell.nunique() < 2:
        return {"period_days": period, "members": [], "skipped": "too little history to fit"}
    model = ExplainedChurn().fit(train[FEATURES], fell)
    now = features_at(days, today, period)
    if now.empty:
        return {"period_days": period, "members": [], "skipped": "nobody active"}
    risk = model.predict_proba(now[FEATURES])
    terms = model.contributions(now[FEATURES])
    recent = days[days["day"] > today - 365]
    value = recent.groupby("member_id")["revenue_minor"].sum().reindex(now.index).fillna(0)
    risky = risk[risk >= MIN_RISK]
    if len(risky) < floor:
        return {"period_days": period, "members": [], "at_risk": None, "skipped": None}
    order = (risky * value[risky.index]).sort_values(ascending=False).index[:TOP]
    members = [
        {
            "member_id": int(member),
            "risk": round(float(risk[member]), 3),
            "value_minor": int(value[member]),
            "reasons": {
                lang: reasons(now.loc[member], terms.loc[member], period, lang)
                for lang in LANGUAGES
            },
        }
        for member in order
    ]
    return {"period_days": period, "members": members, "at_risk": len(risky), "skipped": None}
