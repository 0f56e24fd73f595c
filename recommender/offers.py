"""From scores to offers: conflict resolution by expected value, relevance threshold.

Expected value of offering service s of partner p to a member:

    EV = probability x conversion(s) x ARPPU(s)

``probability`` is the recommender's score (a relevance in [0, 1]);
``conversion`` = paying leads / leads of that service, smoothed towards the
all-services rate with ``prior_leads`` pseudo-leads; ``ARPPU`` = revenue /
paying members of that service, falling back to its company's and then the
global ARPPU when the service has no payer yet. When several partners offer
similar services (the same ``group``, e.g. a category), the offer with the
highest EV wins; ties go to the higher probability, then the item id.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def service_economics(leads: pd.DataFrame, prior_leads: float = 10.0) -> pd.DataFrame:
    """Per service, from lead history (user_id, item_id, company_id, paid, amount).

    Returns item_id, company_id, leads, payers, conversion, arppu.
    """
    df = leads.copy()
    df["item_id"] = df["item_id"].astype(str)
    df["paid"] = df["paid"].astype(bool)
    df["amount"] = df["amount"].fillna(0.0).astype(float)
    g = df.groupby(["item_id", "company_id"], sort=True)
    out = g.agg(leads=("paid", "size"), payers=("paid", "sum")).reset_index()
    revenue = df[df["paid"]].groupby("item_id")["amount"].sum()
    paying_members = df[df["paid"]].groupby("item_id")["user_id"].nunique()
    global_rate = df["paid"].mean() if len(df) else 0.0
    out["conversion"] = (out["payers"] + prior_leads * global_rate) / (out["leads"] + prior_leads)
    arppu = (revenue / paying_members).reindex(out["item_id"]).to_numpy()
    paid = df[df["paid"]]
    comp = (
        paid.groupby("company_id")["amount"].sum() / paid.groupby("company_id")["user_id"].nunique()
    )
    glob = paid["amount"].sum() / max(paid["user_id"].nunique(), 1) if len(paid) else 0.0
    fallback = out["company_id"].map(comp).fillna(glob).to_numpy()
    out["arppu"] = np.where(np.isnan(arppu), fallback, arppu)
    return out


def resolve_conflicts(
    candidates: pd.DataFrame, economics: pd.DataFrame, group_col: str = "group", keep: str = "best"
) -> pd.DataFrame:
    """Add ``expected_value`` to candidates (user_id, item_id, score, group) and resolve.

    ``keep='best'`` keeps one offer per (user, group); ``keep='all'`` keeps every
    offer. Either way rows are sorted per user by expected value, best first.
    Services without history get the median conversion and ARPPU.
    """
    if keep not in ("best", "all"):
        raise ValueError("keep must be 'best' or 'all'")
    eco = economics.set_index(economics["item_id"].astype(str))
    df = candidates.copy()
    df["item_id"] = df["item_id"].astype(str)
    conv = df["item_id"].map(eco["conversion"])
    arppu = df["item_id"].map(eco["arppu"])
    df["conversion"] = conv.fillna(eco["conversion"].median() if len(eco) else 0.0)
    df["arppu"] = arppu.fillna(eco["arppu"].median() if len(eco) else 0.0)
    df["expected_value"] = df["score"] * df["conversion"] * df["arppu"]
    df = df.sort_values(
        ["user_id", "expected_value", "score", "item_id"],
        ascending=[True, False, False, True],
        kind="mergesort",
    )
    if keep == "best" and group_col in df:
        df = df.drop_duplicates(["user_id", group_col], keep="first")
    return df.reset_index(drop=True)


def apply_relevance_threshold(
    recs: pd.DataFrame,
    item_company: Mapping,
    thresholds: Mapping,
    default: float = 0.0,
    max_offers: int | None = None,
) -> pd.DataFrame:
    """Drop offers whose score is under their company's floor; keep at most max_offers each.

    ``item_company`` maps item_id -> company; ``thresholds`` company -> score floor.
    """
    df = recs.copy()
    company = df["item_id"].astype(str).map(lambda i: item_company.get(i))
    floor = company.map(lambda c: thresholds.get(c, default)).astype(float)
    df = df[df["score"].to_numpy() >= floor.to_numpy()]
    if max_offers is not None:
        df = df.sort_values(["user_id", "score"], ascending=[True, False], kind="mergesort")
        df = df.groupby("user_id", sort=False).head(max_offers)
    return df.reset_index(drop=True)
