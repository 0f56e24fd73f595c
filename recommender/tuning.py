"""The hybrid's search: its parts tuned as the baselines are, then their weights.

1. Parts: every model the hybrid can include (popularity with or without time
   decay, popularity at the member's time, item-kNN, user-kNN, EASE, ALS, sequential
   rules) is tuned alone by
   :func:`recommender.model_search.tune_all`, with the same budget and the same
   validation split as every baseline (``refbot evaluate`` passes the baselines'
   own results, so the parts *are* the tuned baselines).
2. Weights: the best part alone weighs 1, and every subset of the next
   ``ENSEMBLE_PARTS`` best parts joins it at one common weight of
   ``ENSEMBLE_WEIGHTS``; the blend with the highest validation NDCG@k is kept
   only when it beats the best part alone by more than two standard errors of
   the per-member gain (so noise is not carried to the test); what is left of
   the budget then halves or doubles each kept weight in turn under the same
   rule; at most ``budget`` blends are scored in all. (Until the sequential part
   came, the search added one part at a time, each past two standard errors on
   its own; a part leading by a wide margin then kept the small gains of several
   others from ever counting, since none was clear alone.) The
   scores of each part are normalised per member (divided by the member's top
   score over the whole catalogue, as the fitted hybrid does) and only each
   part's top ``CANDIDATES_PER_PART`` unseen items per member are kept, so a
   blend is scored on sparse rows.

The test split is never an input; the caller refits on all the training data.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.base import _check_frame, top_n
from recommender.metrics import ndcg_at_k
from recommender.model_search import (
    DEFAULT_BUDGET,
    Tuned,
    Validation,
    candidate_names,
    tune_all,
)

HYBRID_PARTS = (
    "popularity",
    "popularity-decay",
    "popularity-at-member-time",
    "profile-popularity",
    "item-knn",
    "user-knn",
    "ease",
    "als",
    "sequential-rules",
)
ENSEMBLE_PARTS = 4  # the next best parts that may join the best one
ENSEMBLE_WEIGHTS = (0.15, 0.4, 1.0)  # relative to the best part's 1
CANDIDATES_PER_PART = 200
MIN_GAIN_IN_ERRORS = 2.0


@dataclass
class TuningResult:
    best_params: dict
    best_score: float
    trials: list[dict] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)  # part -> weight in the blend
    parts: dict[str, Tuned] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.trials)

    def describe(self) -> str:
        """The blend in words, e.g. ``popularity-decay x 1 + user-knn x 0.15``."""
        return " + ".join(f"{name} x {w:g}" for name, w in self.weights.items())


def ndcg_from_top(top: np.ndarray, relevant: np.ndarray, k: int) -> float:
    """Mean NDCG@k of ``top`` (users x k item indices, -1 = empty) against ``relevant``.

    ``relevant`` is a bool (users x items) block for the sampled validation users only.
    """
    m = top.shape[0]
    valid = top >= 0
    hits = np.zeros(top.shape, dtype=bool)
    rows = np.broadcast_to(np.arange(m)[:, None], top.shape)
    hits[valid] = relevant[rows[valid], top[valid]]
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits * disc[: top.shape[1]]).sum(axis=1)
    n_rel = np.minimum(relevant.sum(axis=1), k)
    idcg = np.cumsum(disc)[np.maximum(n_rel - 1, 0)]
    return float(np.mean(np.where(n_rel > 0, dcg / idcg, 0.0)))


def part_rows(tuned: Tuned, validation: Validation, to_catalogue, n_items: int) -> sp.csr_matrix:
    """Validation members x items: the part's top unseen items, scores over the member's top."""
    model = tuned.model
    users = validation.users
    idx = model.user_map_.indices(users)
    known = np.flatnonzero(idx >= 0)
    rows, cols, vals = [], [], []
    for a in range(0, len(known), 256):
        block = known[a : a + 256]
        s = model.scores(idx[block])
        top = s.max(axis=1, keepdims=True)
        s = np.divide(s, top, out=np.zeros_like(s), where=top > 0)
        seen = model.seen_[idx[block]]
        s[np.repeat(np.arange(len(block)), np.diff(seen.indptr)), seen.indices] = -np.inf
        s[s <= 0] = -np.inf
        items, scores = top_n(s, CANDIDATES_PER_PART)
        ok = items >= 0
        rows.append(np.broadcast_to(block[:, None], items.shape)[ok])
        cols.append(to_catalogue(model, items[ok]))
        vals.append(scores[ok])
    shape = (len(users), n_items)
    if not rows:
        return sp.csr_matrix(shape)
    data = (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols)))
    return sp.csr_matrix(data, shape=shape)


class BlendScorer:
    """NDCG@k of weighted sums of the parts' sparse validation rows."""

    def __init__(self, parts: dict[str, Tuned], validation: Validation, k: int) -> None:
        catalogue = sorted(set(validation.fit_part["item_id"]))
        self.ids = np.asarray(catalogue, dtype=object)
        position = {item: i for i, item in enumerate(catalogue)}

        def to_catalogue(model, items):
            return np.array([position[i] for i in model.item_map_.ids[items]], dtype=np.int64)

        self.rows = {
            name: part_rows(t, validation, to_catalogue, len(catalogue))
            for name, t in parts.items()
        }
        self.validation, self.k = validation, k

    def score(self, weights: dict[str, float]) -> np.ndarray:
        """NDCG@k per validation member of the blend ``weights``."""
        total = sum(w * self.rows[name] for name, w in weights.items())
        values = []
        for a in range(0, total.shape[0], 256):
            block = total[a : a + 256].toarray()
            block[block <= 0] = -np.inf
            items, _ = top_n(block, self.k)
            for r, row in enumerate(items):
                user = self.validation.users[a + r]
                ranked = self.ids[row[row >= 0]]
                values.append(ndcg_at_k(list(ranked), self.validation.relevant[user], self.k))
        return np.array(values)


def clearly_better(new: np.ndarray, old: np.ndarray) -> bool:
    """Mean gain over the validation members above ``MIN_GAIN_IN_ERRORS`` standard errors.

    The greedy search would otherwise keep any part that lifts validation by
    noise (on the 126 validation members of movielens' global split, or with a
    sliver of ALS on groceries) and carry that noise to the test.
    """
    diff = new - old
    error = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0
    return bool(diff.mean() > MIN_GAIN_IN_ERRORS * error and diff.mean() > 0)


def search_blend(
    parts: dict[str, Tuned], validation: Validation, k: int = 10, budget: int = DEFAULT_BUDGET
) -> tuple[dict[str, float], float, list[dict]]:
    """Even ensembles around the best part; at most ``budget`` blends scored.

    The best part alone weighs 1; every subset of the ``ENSEMBLE_PARTS`` next
    best parts joins it at one common weight of ``ENSEMBLE_WEIGHTS`` (45 blends
    with four parts and three weights). The blend with the highest validation
    mean is kept only when it is :func:`clearly_better` than the best part
    alone; what is left of the budget halves or doubles each kept weight under
    the same rule against the blend so far.
    """
    scorer = BlendScorer(parts, validation, k)
    order = sorted(parts, key=lambda name: -parts[name].score)
    alone = {order[0]: 1.0}
    weights, best = alone, scorer.score(alone)
    trials = [{"blend": dict(weights), "ndcg": float(best.mean())}]
    others = order[1 : 1 + ENSEMBLE_PARTS]
    subsets = [
        chosen
        for size in range(1, len(others) + 1)
        for chosen in itertools.combinations(others, size)
    ]
    leader: tuple[dict[str, float], np.ndarray] | None = None
    for w in ENSEMBLE_WEIGHTS:
        for chosen in subsets:
            if len(trials) >= budget:
                break
            trial = alone | {name: w for name in chosen}
            score = scorer.score(trial)
            trials.append({"blend": trial, "ndcg": float(score.mean())})
            if leader is None or score.mean() > leader[1].mean():
                leader = trial, score
    if leader is not None and clearly_better(leader[1], best):
        weights, best = leader
    # What budget is left refines the kept weights: each halved and doubled in turn.
    while len(trials) < budget and len(weights) > 1:
        improved = False
        for name in list(weights):
            for factor in (0.5, 2.0):
                if len(trials) >= budget:
                    break
                trial = weights | {name: weights[name] * factor}
                score = scorer.score(trial)
                trials.append({"blend": trial, "ndcg": float(score.mean())})
                if clearly_better(score, best):
                    best, weights, improved = score, trial, True
        if not improved:
            break
    return weights, float(best.mean()), trials


def hybrid_params(weights: dict[str, float], parts: dict[str, Tuned]) -> dict:
    """HybridRecommender parameters for a blend of tuned parts."""
    params = {
        "knn_weight": weights.get("item-knn", 0.0) + weights.get("user-knn", 0.0),
        "popularity_weight": 0.0,
        "popularity_half_life_days": None,
        "ease_weight": weights.get("ease", 0.0),
        "als_weight": weights.get("als", 0.0),
        "time_popularity_weight": weights.get("popularity-at-member-time", 0.0),
        "profile_weight": weights.get("profile-popularity", 0.0),
        "sequence_weight": weights.get("sequential-rules", 0.0),
    }
    knn = params["knn_weight"]
    params["blend"] = weights.get("item-knn", 0.0) / knn if knn else 0.5
    if "item-knn" in parts:
        p = parts["item-knn"].params
        params |= {
            "item_k": p["k"],
            "metric": p["metric"],
            "recency_half_life": p["recency_half_life"],
        }
    if "user-knn" in parts:
        p = parts["user-knn"].params
        params |= {
            "user_k": p["k"],
            "user_metric": p["metric"],
            "user_recency_half_life": p["recency_half_life"],
        }
    for name in ("popularity", "popularity-decay"):
        if name in weights:
            params["popularity_weight"] = weights[name]
            params["popularity_half_life_days"] = parts[name].params["half_life_days"]
    if "ease" in parts:
        params["ease_l2"] = parts["ease"].params["l2"]
    if "popularity-at-member-time" in parts:
        window = parts["popularity-at-member-time"].params["window_days"]
        params["time_popularity_window_days"] = window
    if "profile-popularity" in parts:
        params["profile_by"] = parts["profile-popularity"].params["by"]
    if "sequential-rules" in parts:
        params |= {f"sequence_{k}": v for k, v in parts["sequential-rules"].params.items()}
    if "als" in parts:
        p = parts["als"].params
        params |= {
            "als_factors": p["factors"],
            "als_regularization": p["regularization"],
            "als_alpha": p["alpha"],
        }
    return params


def blend_tuned(
    tuned: dict[str, Tuned], validation: Validation, k: int = 10, budget: int = DEFAULT_BUDGET
) -> TuningResult:
    """The hybrid from already tuned parts (``refbot evaluate`` passes its baselines)."""
    parts = {name: t for name, t in tuned.items() if name in HYBRID_PARTS}
    # One popularity part: the hybrid has one prior, decayed or not.
    pops = [n for n in ("popularity", "popularity-decay") if n in parts]
    if len(pops) == 2:
        parts.pop(min(pops, key=lambda n: parts[n].score))
    weights, score, trials = search_blend(parts, validation, k, budget)
    return TuningResult(hybrid_params(weights, parts), score, trials, weights, parts)


def tune_hybrid(
    model,
    interactions: pd.DataFrame,
    k: int = 10,
    grid: dict | None = None,
    split: str = "per-user",
    budget: int = DEFAULT_BUDGET,
    parts: list[str] | None = None,
    test_fraction: float = 0.2,
    max_users: int = 2000,
    profiles: pd.DataFrame | None = None,
) -> TuningResult:
    """Tune the parts on a validation split of ``interactions``, then their blend.

    ``grid`` maps a part's name to a grid replacing its default; ``parts`` limits
    which parts are tried (default: every part that applies to the data).
    """
    frame = _check_frame(interactions)
    validation = Validation(frame, split, test_fraction, max_users, model.random_state)
    names = [n for n in candidate_names(frame, profiles=profiles) if n in HYBRID_PARTS]
    if parts is not None:
        names = [n for n in names if n in parts]
    threads = {
        "item-knn": {"n_threads": model.n_threads},
        "als": {"n_threads": model.n_threads},
        "profile-popularity": {"profiles": profiles},
    }
    tuned = tune_all(
        names, validation, k, budget, model.random_state, grid, lambda n: threads.get(n, {})
    )
    return blend_tuned(tuned, validation, k, budget)
