"""Churn risk: will a member's activity fall over the next period?

Label at a cut-off time T with period P (``window_days``): the member's number
of events in (T, T + P] is lower than in (T - P, T]. Features come only from
history up to T: the behaviour features of :mod:`recommender.features` plus
events in the last period and in the period before it. Only members active in
(T - P, T] are scored (someone already inactive cannot fall further).

The time split for evaluation: fit at T1 = end - 2P (labels use (T1, T1 + P]),
test at T2 = end - P (labels use (T2, end]); no label of the test period is
seen while fitting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import f1_score, roc_auc_score

from recommender.features import DAY, member_features


def churn_frame(frame: pd.DataFrame, cutoff: float, window_days: float = 90.0) -> pd.DataFrame:
    """Features at ``cutoff`` (index user_id) and the ``fell`` label (0/1, NaN if unknown)."""
    p = window_days * DAY
    past = frame[frame["timestamp"] <= cutoff]
    if past.empty:
        return pd.DataFrame()
    feats = member_features(past, now=cutoff)
    ev = frame.drop_duplicates(["user_id", "timestamp"])
    last = ev[(ev["timestamp"] > cutoff - p) & (ev["timestamp"] <= cutoff)]
    last = last.groupby("user_id").size()
    before = ev[(ev["timestamp"] > cutoff - 2 * p) & (ev["timestamp"] <= cutoff - p)]
    before = before.groupby("user_id").size()
    nxt = ev[(ev["timestamp"] > cutoff) & (ev["timestamp"] <= cutoff + p)].groupby("user_id").size()
    feats["events_last"] = last.reindex(feats.index).fillna(0)
    feats["events_before"] = before.reindex(feats.index).fillna(0)
    feats = feats[feats["events_last"] > 0]
    label_known = frame["timestamp"].max() >= cutoff + p - DAY  # the period is (nearly) over
    nxt = nxt.reindex(feats.index).fillna(0)
    feats["fell"] = (nxt < feats["events_last"]).astype(float) if label_known else np.nan
    return feats


FEATURE_COLUMNS = [
    "frequency",
    "avg_amount",
    "recency_days",
    "breadth",
    "events_last",
    "events_before",
]


@dataclass
class ChurnReport:
    f1: float
    roc_auc: float
    n_train: int
    n_test: int
    positive_rate: float


class ChurnModel:
    """Gradient boosting with isotonic/sigmoid calibration (``method``) on the features above.

    Learned: ``model_`` (CalibratedClassifierCV), ``threshold_`` (decision threshold,
    0.5 by default), ``report_`` after :meth:`evaluate`.
    """

    def __init__(
        self,
        window_days: float = 90.0,
        method: str = "sigmoid",
        threshold: float = 0.5,
        random_state: int = 0,
    ) -> None:
        self.window_days = window_days
        self.method = method
        self.threshold = threshold
        self.random_state = random_state

    def fit(self, frame: pd.DataFrame, cutoff: float | None = None):
        """Fit on labels at ``cutoff`` (default: the newest timestamp minus one period)."""
        end = float(frame["timestamp"].max())
        cutoff = end - self.window_days * DAY if cutoff is None else cutoff
        data = churn_frame(frame, cutoff, self.window_days).dropna(subset=["fell"])
        y = data["fell"].astype(int).to_numpy()
        if len(np.unique(y)) < 2:
            raise ValueError("churn labels have a single class at this cut-off")
        base = HistGradientBoostingClassifier(
            max_iter=100, learning_rate=0.1, random_state=self.random_state
        )
        cv = max(2, min(3, int(np.bincount(y).min())))
        self.model_ = CalibratedClassifierCV(base, method=self.method, cv=cv)
        self.model_.fit(data[FEATURE_COLUMNS].to_numpy(float), y)
        self.threshold_ = self.threshold
        self.cutoff_ = cutoff
        return self

    def predict_proba(self, features: pd.DataFrame) -> pd.Series:
        """Probability that activity falls, per member (index kept)."""
        p = self.model_.predict_proba(features[FEATURE_COLUMNS].to_numpy(float))[:, 1]
        return pd.Series(p, index=features.index, name="churn_risk")

    def evaluate(self, frame: pd.DataFrame) -> ChurnReport:
        """Fit at end - 2P, test at end - P (see module doc); F1 and ROC AUC on the test."""
        end = float(frame["timestamp"].max())
        p = self.window_days * DAY
        # Labels at T1 look only at (T1, T1 + P] = up to end - P: no test-period label is used.
        self.fit(frame, cutoff=end - 2 * p)
        n_train = len(churn_frame(frame, end - 2 * p, self.window_days))
        test = churn_frame(frame, end - p, self.window_days).dropna(subset=["fell"])
        proba = self.predict_proba(test)
        y = test["fell"].astype(int).to_numpy()
        auc = roc_auc_score(y, proba) if len(np.unique(y)) > 1 else float("nan")
        f1 = f1_score(y, (proba.to_numpy() >= self.threshold_).astype(int), zero_division=0)
        self.report_ = ChurnReport(float(f1), float(auc), n_train, len(test), float(y.mean()))
        return self.report_

    def at_risk(
        self,
        frame: pd.DataFrame,
        value: pd.Series | None = None,
        now: float | None = None,
        min_risk: float = 0.5,
    ) -> pd.DataFrame:
        """Members at risk now, most valuable first: user_id, churn_risk, value, priority.

        ``value`` (user_id -> money) defaults to the member's total amount, or
        interaction count when amounts are missing. priority = risk x value.
        """
        now = float(frame["timestamp"].max()) if now is None else float(now)
        feats = churn_frame(frame[frame["timestamp"] <= now], now, self.window_days)
        if feats.empty:
            return pd.DataFrame(columns=["user_id", "churn_risk", "value", "priority"])
        risk = self.predict_proba(feats)
        if value is None:
            amt = frame["amount"] if "amount" in frame else pd.Series(np.nan, index=frame.index)
            value = amt.fillna(0).groupby(frame["user_id"]).sum()
            if not (value > 0).any():
                value = frame.groupby("user_id").size().astype(float)
        out = pd.DataFrame(
            {"churn_risk": risk, "value": value.reindex(risk.index).fillna(0.0).astype(float)}
        )
        out["priority"] = out["churn_risk"] * out["value"]
        out = out[out["churn_risk"] >= min_risk].sort_values("priority", ascending=False)
        return out.rename_axis("user_id").reset_index()
