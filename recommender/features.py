"""Per-member behaviour features shared by segments and churn risk."""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY = 86_400
FEATURES = ["frequency", "avg_amount", "recency_days", "breadth"]


def member_features(frame: pd.DataFrame, now: float | None = None) -> pd.DataFrame:
    """Index user_id; columns:

    * frequency: distinct events (visits, baskets) per 30 days of the member's tenure
      (tenure = first event to ``now``, at least 30 days)
    * avg_amount: mean amount per interaction (0 when the data has no amounts)
    * recency_days: days from the last event to ``now`` (default: newest timestamp)
    * breadth: distinct items used
    """
    df = frame
    now = float(df["timestamp"].max()) if now is None else float(now)
    g = df.groupby("user_id", sort=True)
    first = g["timestamp"].min()
    last = g["timestamp"].max()
    events = g["timestamp"].nunique()
    tenure_days = np.maximum((now - first) / DAY, 30.0)
    amount = df["amount"] if "amount" in df else pd.Series(np.nan, index=df.index)
    avg_amount = amount.groupby(df["user_id"]).mean().reindex(first.index).fillna(0.0)
    return pd.DataFrame(
        {
            "frequency": events / tenure_days * 30.0,
            "avg_amount": avg_amount,
            "recency_days": (now - last) / DAY,
            "breadth": g["item_id"].nunique(),
        }
    )
