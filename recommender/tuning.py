"""Honest hyperparameter search for the hybrid: validation carved from training data.

``tune_hybrid`` splits the *training* interactions again with the same
time rule as the test split (:func:`recommender.split.time_split`): the
validation targets are each user's latest training interactions, the model is
fitted on the rest, and NDCG@k on those targets picks the parameters. The test
split is never seen. The search is staged to stay cheap:

1. item side: every (item_k, row_weight_power, alpha, recency_half_life), item-kNN alone;
2. user side: every user_k, user-kNN alone;
3. the blend weight x popularity weight x popularity half-life on the two winners;
4. the best two item configurations of stage 1 again with the stage-3 weights.

Finally the estimator is refitted on all the training interactions by the caller.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender.base import _check_frame, top_n
from recommender.matrix import build_matrix, recency_weights
from recommender.split import relevance_sets, time_split

DEFAULT_GRID = {
    "item_k": [50, 200],
    "row_weight_power": [0.0, 0.5],
    "alpha": [0.5, 1.0],
    "recency_half_life": [None, 1.0, 3.0, 10.0],
    "user_k": [20, 50, 100],
    "blend": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
    "popularity_weight": [0.0, 0.1, 0.3, 1.0, 3.0],
    "popularity_half_life_days": [None, 90.0, 180.0, 365.0],
}


@dataclass
class TuningResult:
    best_params: dict
    best_score: float
    trials: list[dict] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.trials)


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


def tune_hybrid(
    model,
    interactions: pd.DataFrame,
    k: int = 10,
    grid: dict | None = None,
    test_fraction: float = 0.2,
    max_users: int = 2000,
) -> TuningResult:
    from recommender.hybrid import popularity_prior, row_normalise

    grid = {**DEFAULT_GRID, **(grid or {})}
    frame = _check_frame(interactions)
    fit_part, val_part = time_split(frame, test_fraction)
    rels = relevance_sets(fit_part, val_part)
    rng = np.random.default_rng(model.random_state)
    users = sorted(rels)
    if len(users) > max_users:
        users = sorted(rng.choice(users, size=max_users, replace=False).tolist())
    base = type(model)(**{**model.get_params(), "blend": 0.5, "recency_half_life": None})
    base.n_threads = model.n_threads
    trials: list[dict] = []
    if not users:
        return TuningResult(model.get_params(), 0.0, trials)

    def fit_with(**params):
        return type(model)(**{**base.get_params(), **params}).fit(fit_part)

    probe = fit_with()
    uidx = probe.user_map_.indices(users)
    relevant = np.zeros((len(users), len(probe.item_map_)), dtype=bool)
    for r, u in enumerate(users):
        relevant[r, probe.item_map_.indices(list(rels[u]))] = True
    seen = probe.seen_[uidx]
    seen_r = np.repeat(np.arange(len(users)), np.diff(seen.indptr))

    def evaluate(score: np.ndarray) -> float:
        s = score.copy()
        s[s <= 0] = -np.inf
        s[seen_r, seen.indices] = -np.inf
        top, _ = top_n(s, k)
        return ndcg_from_top(top, relevant, k)

    histories = {}
    for hl in grid["recency_half_life"]:
        w = recency_weights(fit_part, hl)
        histories[hl] = build_matrix(fit_part, probe.user_map_, probe.item_map_, w)[uidx]

    # Stage 1: item side.
    item_scores = {}
    for item_k, rwp, alpha in itertools.product(
        grid["item_k"], grid["row_weight_power"], grid["alpha"]
    ):
        m = fit_with(item_k=item_k, row_weight_power=rwp, alpha=alpha, blend=1.0)
        for hl, hist in histories.items():
            s = row_normalise(m.item_knn_.score_history(hist))
            key = (item_k, rwp, alpha, hl)
            item_scores[key] = s
            trials.append(
                {
                    "stage": 1,
                    "item_k": item_k,
                    "row_weight_power": rwp,
                    "alpha": alpha,
                    "recency_half_life": hl,
                    "ndcg": evaluate(s),
                }
            )
    stage1 = sorted((t for t in trials if t["stage"] == 1), key=lambda t: -t["ndcg"])
    best_item = [
        (t["item_k"], t["row_weight_power"], t["alpha"], t["recency_half_life"]) for t in stage1[:2]
    ]
    # Stage 2: user side (similarity on the same row weighting as the best item side).
    user_scores = {}
    for user_k in grid["user_k"]:
        m = fit_with(
            user_k=user_k,
            blend=0.0,
            row_weight_power=best_item[0][1],
            alpha=best_item[0][2],
            recency_half_life=best_item[0][3],
        )
        s = row_normalise(m.user_knn_._scores(uidx))
        user_scores[user_k] = s
        trials.append({"stage": 2, "user_k": user_k, "ndcg": evaluate(s)})
    best_user = max((t for t in trials if t["stage"] == 2), key=lambda t: t["ndcg"])["user_k"]
    pops = {
        hl: popularity_prior(fit_part, probe.item_map_, hl)[None, :]
        for hl in grid["popularity_half_life_days"]
    }
    # Stages 3 and 4: weights, then the runner-up item side with them.
    best = None
    for stage, keys in ((3, best_item[:1]), (4, best_item[1:])):
        for key in keys:
            for blend, pw, phl in itertools.product(
                grid["blend"], grid["popularity_weight"], grid["popularity_half_life_days"]
            ):
                if pw == 0 and phl is not None:
                    continue
                s = blend * item_scores[key] + (1 - blend) * user_scores[best_user]
                if pw:
                    s = s + pw * pops[phl]
                score = evaluate(s)
                trial = {
                    "stage": stage,
                    "item_k": key[0],
                    "row_weight_power": key[1],
                    "alpha": key[2],
                    "recency_half_life": key[3],
                    "user_k": best_user,
                    "blend": blend,
                    "popularity_weight": pw,
                    "popularity_half_life_days": phl,
                    "ndcg": score,
                }
                trials.append(trial)
                if best is None or score > best["ndcg"]:
                    best = trial
    params = {
        k_: best[k_]
        for k_ in (
            "item_k",
            "row_weight_power",
            "alpha",
            "recency_half_life",
            "user_k",
            "blend",
            "popularity_weight",
            "popularity_half_life_days",
        )
    }
    return TuningResult(params, best["ndcg"], trials)
