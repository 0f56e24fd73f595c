"""Candidates for the hybrid, measured on a validation split carved from the training data.

``python -m recommender.research.study --dataset FILE --dataset-format groceries`` makes the
test split of ``refbot evaluate`` (:func:`recommender.split.time_split`), throws the
test part away, splits the training part again by the same rule and prints
validation NDCG@10 of every candidate against popularity. Nothing here reads the
test part; the table is what model choices may be made on.

Candidates: popularity (distinct members; decayed by age), :class:`~recommender.ease.EASE`
alone and blended with decayed popularity, popularity within a basket-count
segment, and a learned re-ranker (:class:`PairReranker`) over (member, service)
pairs. The re-ranker is measured two ways: cross-fitted over members on the
validation labels (trained on 4/5 of the members' labels, scored on the other
fifth), and trained one split earlier (features from the earlier part of the
fitting data, labels from its later part) and applied to the validation split.

A study tool for small catalogues (groceries: 167 services): it holds dense
(validation members x services) blocks, as the tuning does, and EASE's dense
services x services solve. It is not on the serving or training path.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.base import _check_frame, top_n
from recommender.ease import EASE
from recommender.hybrid import popularity_prior, row_normalise
from recommender.knn import ItemKNN, UserKNN
from recommender.matrix import IdMap, build_matrix
from recommender.split import relevance_sets, time_split
from recommender.tuning import ndcg_from_top

DAY = 86_400
MEMBER_FEATURES = ("baskets", "services", "days_since_last", "span_days")
ITEM_FEATURES = ("pop", "pop_d60", "pop_d180", "pop_d365", "pop_90d_to_last")
PAIR_FEATURES = ("item_knn", "user_knn", "ease")
ALL_FEATURES = ITEM_FEATURES + PAIR_FEATURES + MEMBER_FEATURES


@dataclass
class Block:
    """Members to score on one split: ids, their rows of seen, the relevant (new) services."""

    frame: pd.DataFrame
    user_map: IdMap
    item_map: IdMap
    users: np.ndarray
    uidx: np.ndarray
    seen: np.ndarray  # members x services, bool
    relevant: np.ndarray  # members x services, bool

    @classmethod
    def from_split(cls, earlier: pd.DataFrame, later: pd.DataFrame) -> Block:
        rels = relevance_sets(earlier, later)
        user_map = IdMap.from_values(earlier["user_id"])
        item_map = IdMap.from_values(earlier["item_id"])
        users = np.array(sorted(rels), dtype=object)
        uidx = user_map.indices(users)
        relevant = np.zeros((len(users), len(item_map)), dtype=bool)
        for r, u in enumerate(users):
            relevant[r, item_map.indices(list(rels[u]))] = True
        seen = build_matrix(earlier, user_map, item_map)[uidx].toarray() > 0
        return cls(earlier, user_map, item_map, users, uidx, seen, relevant)

    def ndcg(self, scores: np.ndarray, k: int = 10) -> float:
        """NDCG@k of a (members x services) or per-service score, seen services excluded."""
        s = np.array(np.broadcast_to(scores, self.seen.shape), dtype=np.float64)
        s[self.seen] = -np.inf
        top, _ = top_n(s, k)
        return ndcg_from_top(top, self.relevant, k)


def pair_features(block: Block, ease_l2: float = 1000.0) -> dict[str, np.ndarray]:
    """Features of every (member, service) pair of ``block``, from ``block.frame`` only.

    Service-level: distinct-member popularity, popularity decayed by age (60, 180,
    365 days), popularity in the 90 days up to the member's last basket (the past,
    seen from that member). Pair-level: item-kNN, user-kNN (each divided by the
    member's top score) and EASE scores. Member-level: baskets, services, days from
    the member's last basket to the end of the data, days between first and last basket.
    """
    frame, uidx, items = block.frame, block.uidx, block.item_map
    shape = (len(uidx), len(items))
    out: dict[str, np.ndarray] = {}
    seen_all = build_matrix(frame, block.user_map, items)
    pop = np.asarray(seen_all.sum(axis=0)).ravel()
    out["pop"] = np.broadcast_to(pop / max(pop.max(), 1), shape)
    for hl in (60, 180, 365):
        out[f"pop_d{hl}"] = np.broadcast_to(popularity_prior(frame, items, hl), shape)
    g = frame.groupby("user_id")["timestamp"]
    last = g.max().reindex(block.users).to_numpy()
    first = g.min().reindex(block.users).to_numpy()
    ts = frame["timestamp"].to_numpy()
    order = np.argsort(ts, kind="stable")
    ts_sorted, it_sorted = ts[order], items.indices(frame["item_id"].to_numpy())[order]
    local = np.zeros(shape)
    for r, t in enumerate(last):
        a = np.searchsorted(ts_sorted, t - 90 * DAY, side="left")
        b = np.searchsorted(ts_sorted, t, side="right")
        local[r] = np.bincount(it_sorted[a:b], minlength=len(items))
    out["pop_90d_to_last"] = row_normalise(local)
    out["item_knn"] = row_normalise(ItemKNN(k=100).fit(frame)._scores(uidx))
    out["user_knn"] = row_normalise(UserKNN(k=50).fit(frame)._scores(uidx))
    out["ease"] = EASE(l2=ease_l2).fit(frame)._scores(uidx)
    member = {
        "baskets": g.nunique().reindex(block.users).to_numpy(np.float64),
        "services": block.seen.sum(axis=1).astype(np.float64),
        "days_since_last": (ts.max() - last) / DAY,
        "span_days": (last - first) / DAY,
    }
    for name, v in member.items():
        out[name] = np.broadcast_to(np.asarray(v, dtype=np.float64)[:, None], shape)
    return out


class PairReranker:
    """Pointwise learning to rank over (member, service) candidates.

    Candidates are the services a member has not used; the label is whether the
    member used it in the later part of a split. ``kind`` 'hgb' is scikit-learn's
    HistGradientBoostingClassifier, 'logreg' a scaled logistic regression.
    Learned: ``model_``.
    """

    def __init__(self, kind: str = "hgb", features=ALL_FEATURES, random_state: int = 0) -> None:
        self.kind = kind
        self.features = tuple(features)
        self.random_state = random_state

    def _design(self, feats: dict[str, np.ndarray], rows: np.ndarray, cand: np.ndarray):
        return np.stack([np.asarray(feats[f])[rows][cand] for f in self.features], axis=1)

    def fit(self, feats: dict[str, np.ndarray], block: Block, rows: np.ndarray | None = None):
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        rows = np.arange(len(block.users)) if rows is None else rows
        cand = ~block.seen[rows]
        x, y = self._design(feats, rows, cand), block.relevant[rows][cand]
        if self.kind == "hgb":
            self.model_ = HistGradientBoostingClassifier(
                max_iter=150,
                learning_rate=0.05,
                max_leaf_nodes=15,
                min_samples_leaf=200,
                random_state=self.random_state,
            )
        elif self.kind == "logreg":
            self.model_ = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        else:
            raise ValueError(f"unknown kind {self.kind!r}")
        self.model_.fit(x, y)
        return self

    def scores(self, feats: dict[str, np.ndarray], block: Block, rows: np.ndarray | None = None):
        """members x services probability of use; seen services get -inf."""
        rows = np.arange(len(block.users)) if rows is None else rows
        cand = ~block.seen[rows]
        out = np.full(cand.shape, -np.inf)
        out[cand] = self.model_.predict_proba(self._design(feats, rows, cand))[:, 1]
        return out


def cross_fitted(kind, features, feats, block, folds: int = 5, random_state: int = 0):
    """Re-ranker scores where each member is scored by a model trained on the other folds."""
    fold = np.random.default_rng(random_state).integers(0, folds, len(block.users))
    out = np.full(block.seen.shape, -np.inf)
    for f in range(folds):
        train_rows, score_rows = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        model = PairReranker(kind, features, random_state).fit(feats, block, train_rows)
        out[score_rows] = model.scores(feats, block, score_rows)
    return out


def validation_study(train: pd.DataFrame, k: int = 10, random_state: int = 0) -> pd.DataFrame:
    """Validation NDCG@k of each candidate (see the module docstring); ``train`` only."""
    train = _check_frame(train)
    fit_part, val_part = time_split(train)
    val = Block.from_split(fit_part, val_part)
    rows: list[tuple[str, float]] = []
    add = rows.append
    seen_fit = build_matrix(fit_part, val.user_map, val.item_map)
    pop = np.asarray(seen_fit.sum(axis=0)).ravel()
    add(("popularity (distinct members)", val.ndcg(pop + 1e-12)))
    decayed = popularity_prior(fit_part, val.item_map, 180.0)
    add(("popularity decayed, half-life 180 d", val.ndcg(decayed + 1e-12)))
    for l2 in (50.0, 300.0, 1000.0, 3000.0):
        ease = EASE(l2=l2).fit(fit_part)
        s = ease._scores(val.uidx)
        add((f"EASE l2={l2:g}", val.ndcg(s)))
        for w in (1.0, 3.0, 10.0):
            blended = row_normalise(np.maximum(s, 0)) + w * decayed[None, :]
            add((f"EASE l2={l2:g} + {w:g} x decayed popularity", val.ndcg(blended)))
    baskets = fit_part.groupby("user_id")["timestamp"].nunique()
    band = np.minimum(baskets.reindex(val.user_map.ids).to_numpy(), 5)
    dense_seen = seen_fit.toarray()  # members x services of the fitting part (167 services)
    for base_name, base in (("distinct", pop / max(pop.max(), 1)), ("decayed 180 d", decayed)):
        for share in (0.1, 0.5):
            s = np.zeros(val.seen.shape)
            for b in np.unique(band):
                c = dense_seen[band == b].sum(axis=0)
                s[band[val.uidx] == b] = (1 - share) * c / max(c.max(), 1) + share * base
            name = f"segment popularity (basket band 1-5+), {share:g} x global {base_name}"
            add((name, val.ndcg(s)))
    feats = pair_features(val)
    pop_member = ("pop", "pop_d180", "pop_d365") + MEMBER_FEATURES
    for kind, features, label in (
        ("hgb", ALL_FEATURES, "all features"),
        ("hgb", pop_member, "popularity + member features"),
        ("logreg", ALL_FEATURES, "all features"),
    ):
        s = cross_fitted(kind, features, feats, val, random_state=random_state)
        add((f"re-ranker {kind}, {label}, cross-fitted over members", val.ndcg(s)))
    earlier, later = time_split(fit_part)
    lower = Block.from_split(earlier, later)
    # No service id among the features, so a model fitted on one catalogue applies to another.
    model = PairReranker("hgb", ALL_FEATURES, random_state).fit(pair_features(lower), lower)
    s = model.scores(feats, val)
    add(("re-ranker hgb, all features, trained one split earlier", val.ndcg(s)))
    table = pd.DataFrame(rows, columns=["candidate", f"ndcg@{k}"])
    table["vs popularity"] = table[f"ndcg@{k}"] / table[f"ndcg@{k}"].iloc[0] - 1
    return table


def main(argv=None) -> None:
    from recommender.data import load_dataset

    p = argparse.ArgumentParser(prog="python -m recommender.research.study", description=__doc__)
    p.add_argument("--dataset", required=True)
    p.add_argument("--dataset-format", default="generic")
    a = p.parse_args(argv)
    train, _ = time_split(load_dataset(a.dataset, a.dataset_format).frame)
    del _  # the test part is not used
    table = validation_study(train)
    with pd.option_context("display.width", 160, "display.max_colwidth", 90):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
