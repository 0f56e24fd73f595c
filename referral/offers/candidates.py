"""From a member to ranked candidate services, on plain data (no session here).

1. The hybrid's scores for a member it was trained on (reason: similar members).
2. The operator's cross-service links from the member's services (reason: goes
   with a service they use), then popularity (reason: popular), from the model,
   its stored fallback, or counted from purchases when no artefact exists at
   all. For a member the hybrid knows these only fill up (scores scaled down).
3. Services the member bought, declined inside the cool-down, or already took
   are dropped; the rest are resolved by expected value (one per category, the
   rule of recommender.resolve_conflicts) and cut at each company's relevance
   floor (recommender.apply_relevance_threshold), read on the calibrated
   probability of the score (referral.leads.calibration).

This runs on every /offers, so it works on dicts and lists prepared once per
model (:class:`ModelView`) and once per catalogue (referral.offers.shared):
its cost depends on the member's own history and a few dozen candidates,
never on the size of the catalogue or of the purchase history. A test holds
it to the recommender's pandas functions on random data.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from recommender import HybridRecommender, LoadedModel
from recommender.artefacts import PopularityFallback
from referral.offers.models import CROSS, POPULAR, SIMILAR
from referral.offers.shared import Catalogue

# How much of the model's popularity list is kept ready: far more than any
# request needs (four times the offers asked for, at least 20), plus the
# member's own purchases that are taken out of it.
POPULAR_KEPT = 500


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


@dataclass(frozen=True)
class ModelView:
    """What serving needs of one loaded model and its economics, computed once per load."""

    model: LoadedModel
    popular: list[tuple[str, float]]  # the model's popularity, best first
    conversion: dict[str, float]
    arppu: dict[str, float]
    median_conversion: float
    median_arppu: float

    @classmethod
    def of(cls, model: LoadedModel, economics: pd.DataFrame | None) -> ModelView:
        est = model.model
        if isinstance(est, HybridRecommender):
            order = est.popularity_.argsort(kind="stable")[::-1][:POPULAR_KEPT]
            popular = [(est.item_map_.ids[i], float(est.popularity_[i])) for i in order]
        elif isinstance(est, PopularityFallback):
            popular = list(zip(est.items_, map(float, est.scores_), strict=True))
        else:
            popular = []
        conversion, arppu, medians = {}, {}, (0.0, 0.0)
        if economics is not None and len(economics):
            items = economics["item_id"].astype(str)
            conversion = _finite(items, economics["conversion"])
            arppu = _finite(items, economics["arppu"])
            medians = (
                _or_zero(economics["conversion"].median()),
                _or_zero(economics["arppu"].median()),
            )
        return cls(model, popular, conversion, arppu, *medians)


def _finite(items: pd.Series, values: pd.Series) -> dict[str, float]:
    return {i: float(v) for i, v in zip(items, values, strict=True) if not pd.isna(v)}


def _or_zero(value: float) -> float:
    return 0.0 if value is None or math.isnan(value) else float(value)


# For a member the hybrid knows, cold-start sources only fill up the list: their
# scores are scaled down so they never displace a collaborative-filtering offer.
FILL_WEIGHT = {CROSS: 0.5, POPULAR: 0.25}


def _raw(
    view: ModelView,
    catalogue: Catalogue,
    counted: list[tuple[str, float]],
    ctx: MemberContext,
    k: int,
    now: float | None,
) -> list[tuple[str, float, str, str | None]]:
    est = view.model.model
    hybrid = isinstance(est, HybridRecommender)
    known = hybrid and est.user_map_.get(ctx.pseudonym) >= 0
    out: list[tuple[str, float, str, str | None]] = []
    if known:
        out += [(i, s, SIMILAR, None) for i, s in est.top_items(ctx.pseudonym, k, now=now)]
    scale = FILL_WEIGHT if known else {CROSS: 1.0, POPULAR: 1.0}
    links = catalogue.links
    if links and ctx.bought:
        linked: dict[str, float] = defaultdict(float)
        # The bought service each one is most strongly linked from (the offer's
        # "goes with"), found in the same pass: (weight, service), the larger wins.
        strongest: dict[str, tuple[float, str]] = {}
        for service in ctx.bought:
            for other, weight in links.get(service, {}).items():
                if other not in ctx.bought:
                    linked[other] += weight
                    if weight > 0 and (weight, service) > strongest.get(other, (0.0, "")):
                        strongest[other] = (weight, service)
        ranked = sorted(linked.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        top = ranked[0][1] if ranked else 1.0
        out += [
            (item, scale[CROSS] * score / top, CROSS, strongest.get(item, (0.0, None))[1])
            for item, score in ranked
        ]
    if hybrid:
        popular = view.popular[:k]
    elif isinstance(est, PopularityFallback):
        popular = [(i, s) for i, s in view.popular if i not in ctx.bought][:k]
    else:  # a model of another kind: ask it (member by member)
        frame = est.recommend(ctx.pseudonym, k, seen={ctx.pseudonym: ctx.bought})  # type: ignore[attr-defined]
        # An empty answer (an empty catalogue) may come without its columns.
        popular = (
            list(zip(frame["item_id"].astype(str), frame["score"], strict=True))
            if len(frame)
            else []
        )
    if not popular:
        popular = counted[:k]
    have = {c[0] for c in out}
    out += [(i, scale[POPULAR] * float(s), POPULAR, None) for i, s in popular if i not in have]
    return out


def rank(
    view: ModelView,
    catalogue: Catalogue,
    counted: list[tuple[str, float]],
    ctx: MemberContext,
    n: int,
    now: float | None = None,
    default_threshold: float = 0.0,
    probability: Callable[[float], float] = float,
) -> list[Candidate]:
    raw = _raw(view, catalogue, counted, ctx, max(4 * n, 20), now)
    return pick(raw, view, catalogue, ctx, n, default_threshold, probability)


def pick(
    raw: list[tuple[str, float, str, str | None]],
    view: ModelView,
    catalogue: Catalogue,
    ctx: MemberContext,
    n: int,
    default_threshold: float = 0.0,
    probability: Callable[[float], float] = float,
) -> list[Candidate]:
    """Raw (item, score, reason, related) to at most n offers: see the module's step 3.
    ``probability`` maps a score to the calibrated probability the floor is read on
    (referral.leads.calibration); the pipeline takes these offers as they are."""
    seen: set[str] = set()
    scored = []  # (expected value, score, item, reason, related), one row per item
    for item, score, reason, related in raw:
        if (
            item in seen
            or item not in catalogue.items
            or item in ctx.bought
            or item in ctx.excluded
            or not score > 0
        ):
            continue
        seen.add(item)
        conversion = view.conversion.get(item, view.median_conversion)
        arppu = view.arppu.get(item, view.median_arppu)
        scored.append((score * conversion * arppu, score, item, reason, related))
    # Best expected value first, then the higher score, then the item id; one per category.
    scored.sort(key=lambda row: (-row[0], -row[1], row[2]))
    categories: set[str] = set()
    picked: list[Candidate] = []
    for _, score, item, reason, related in scored:
        card = catalogue.items[item]
        if card.category in categories:
            continue
        categories.add(card.category)
        if probability(score) < catalogue.thresholds.get(card.company_id, default_threshold):
            continue
        picked.append(Candidate(card.id, score, reason, int(related) if related else None))
        if len(picked) == n:
            break
    return picked
