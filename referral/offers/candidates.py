"""From a member to ranked candidate services, on plain data (no session here).

1. The hybrid's scores for a member it was trained on (reason: similar members).
2. The operator's cross-service links from the member's services (reason: goes
   with a service they use), then popularity (reason: popular), from the model,
   its stored fallback, or counted from purchases when no artefact exists at
   all. For a member the hybrid knows these only fill up (scores scaled down).
3. Services the member bought, declined inside the cool-down, or already took
   are dropped; the rest are resolved by expected value (one per category,
   see recommender.offers) and cut at each company's relevance floor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from recommender import (
    CrossServiceColdStart,
    HybridRecommender,
    LoadedModel,
    apply_relevance_threshold,
    resolve_conflicts,
)
from referral.offers.models import CROSS, POPULAR, SIMILAR

ECONOMICS_COLUMNS = ["item_id", "company_id", "leads", "payers", "conversion", "arppu"]


@dataclass(frozen=True)
class Candidate:
    service_id: int
    score: float
    reason: str
    related_service_id: int | None = None


@dataclass
class MemberContext:
    pseudonym: str
    bought: set[str]
    excluded: set[str]  # declined in the cool-down, or already accepted
    catalogue: pd.DataFrame  # active services: item_id, company_id, category
    thresholds: Mapping[int, float]
    cross: pd.DataFrame
    purchase_counts: Mapping[str, int]  # distinct members per service (last-resort popularity)


# For a member the hybrid knows, cold-start sources only fill up the list: their
# scores are scaled down so they never displace a collaborative-filtering offer.
FILL_WEIGHT = {CROSS: 0.5, POPULAR: 0.25}


def _raw(
    model: LoadedModel, ctx: MemberContext, k: int, now: float | None
) -> list[tuple[str, float, str, str | None]]:
    est = model.model
    hybrid = isinstance(est, HybridRecommender)
    known = hybrid and est.user_map_.get(ctx.pseudonym) >= 0
    out: list[tuple[str, float, str, str | None]] = []
    if known:
        out += [(i, s, SIMILAR, None) for i, s in est.top_items(ctx.pseudonym, k, now=now)]
    scale = FILL_WEIGHT if known else {CROSS: 1.0, POPULAR: 1.0}
    if len(ctx.cross) and ctx.bought:
        fitted = CrossServiceColdStart().fit(ctx.cross)
        cold = fitted.recommend(ctx.bought, k)
        top = float(cold["score"].max()) if len(cold) else 1.0
        for item, score in zip(cold["item_id"], cold["score"], strict=True):
            out.append(
                (item, scale[CROSS] * score / top, CROSS, _related(fitted.links_, ctx.bought, item))
            )
    if hybrid:
        order = est.popularity_.argsort(kind="stable")[::-1][:k]
        popular = [(est.item_map_.ids[i], float(est.popularity_[i])) for i in order]
    else:
        frame = est.recommend(ctx.pseudonym, k, seen={ctx.pseudonym: ctx.bought})
        popular = list(zip(frame["item_id"], frame["score"], strict=True))
    if not popular and ctx.purchase_counts:
        top = max(ctx.purchase_counts.values())
        popular = sorted(
            ((i, c / top) for i, c in ctx.purchase_counts.items()), key=lambda p: (-p[1], p[0])
        )[:k]
    have = {c[0] for c in out}
    out += [(i, scale[POPULAR] * float(s), POPULAR, None) for i, s in popular if i not in have]
    return out


def _related(links: dict[str, dict[str, float]], bought: set[str], item: str) -> str | None:
    weights = {b: links.get(b, {}).get(item, 0.0) for b in bought}
    best = max(weights, key=lambda b: (weights[b], b), default=None)
    return best if best is not None and weights[best] > 0 else None


def rank(
    model: LoadedModel,
    economics: pd.DataFrame | None,
    ctx: MemberContext,
    n: int,
    now: float | None = None,
    default_threshold: float = 0.0,
) -> list[Candidate]:
    raw = _raw(model, ctx, max(4 * n, 20), now)
    cat = ctx.catalogue.set_index("item_id")
    rows = [
        (ctx.pseudonym, i, float(s), r, rel)
        for i, s, r, rel in raw
        if i in cat.index and i not in ctx.bought and i not in ctx.excluded and s > 0
    ]
    if not rows:
        return []
    df = pd.DataFrame(rows, columns=["user_id", "item_id", "score", "reason", "related"])
    df = df.drop_duplicates("item_id")
    df["group"] = df["item_id"].map(cat["category"])
    eco = economics if economics is not None else pd.DataFrame(columns=ECONOMICS_COLUMNS)
    df = resolve_conflicts(df, eco, keep="best")
    item_company = cat["company_id"].to_dict()
    df = apply_relevance_threshold(df, item_company, dict(ctx.thresholds), default_threshold)
    return [
        Candidate(
            int(r.item_id),
            float(r.score),
            r.reason,
            int(r.related) if pd.notna(r.related) else None,
        )
        for r in df.head(n).itertuples(index=False)
    ]
