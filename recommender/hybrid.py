"""The hybrid: a weighted blend of tuned models, a popularity prior, offer feedback.

score(u, j) = knn_weight * (blend * norm(item_knn) + (1 - blend) * norm(user_knn))
              + popularity_weight * pop(j) + ease_weight * norm(ease) + als_weight * norm(als)
              + time_popularity_weight * norm(popularity in the window up to u's last visit)
              + profile_weight * norm(share of members of u's income band / region using j)
              + sequence_weight * norm(what follows u's latest services, sequential rules)
              - feedback_weight * norm(declined_knn(u, j))

``norm`` divides each user's scores by that user's largest score, so the parts
are on one scale. Offer feedback: an accepted offer (+1) counts as an
interaction; a declined one (-1) pushes down items similar to it and the
declined item itself is not offered again until ``cooldown_days`` have passed.
Each part's own parameters and the weights are chosen by
:meth:`HybridRecommender.tune` on a validation split carved from the training
data (see :mod:`recommender.tuning`); EASE and ALS are fitted only when their
weight is not zero.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.als import als_factors
from recommender.base import (
    BaseRecommender,
    _check_frame,
    _mask,
    recommendations_frame,
    top_n,
)
from recommender.ease import ease_scores, ease_weights
from recommender.knn import ItemKNN, UserKNN
from recommender.matrix import build_matrix, recency_weights
from recommender.model_search import EASE_ITEM_LIMIT
from recommender.popularity import (
    DAY,
    popularity_prior,
    profile_scores,
    profile_shares,
    time_index,
    time_popularity,
)
from recommender.sequence import follow, sequence_parts, sequence_scores

FEEDBACK_COLUMNS = ("user_id", "item_id", "value", "timestamp")
SAME = "same"  # user_recency_half_life: the user side weighs history as the item side does


def row_normalise(block: np.ndarray) -> np.ndarray:
    top = block.max(axis=1, keepdims=True)
    return np.divide(block, top, out=np.zeros_like(block), where=top > 0)


class HybridRecommender(BaseRecommender):
    """Blend of :class:`ItemKNN` and :class:`UserKNN` with popularity and feedback.

    Learned: ``item_knn_``, ``user_knn_`` (fitted parts), ``popularity_``
    (per-item, in [0, 1]), ``declined_`` (users x items, last decline time),
    ``feedback_history_`` (declines as history rows), ``best_params_`` after tune.
    """

    def __init__(
        self,
        item_k: int = 100,
        user_k: int = 50,
        blend: float = 0.5,
        metric: str = "cosine",
        *,
        alpha: float = 0.5,
        shrink: float = 0.0,
        row_weight_power: float = 0.0,
        recency_half_life: float | None = None,
        popularity_weight: float = 0.0,
        popularity_half_life_days: float | None = None,
        user_metric: str | None = None,
        user_recency_half_life: float | None | str = SAME,
        knn_weight: float = 1.0,
        ease_weight: float = 0.0,
        ease_l2: float = 100.0,
        als_weight: float = 0.0,
        als_factors: int = 64,
        als_regularization: float = 0.01,
        als_alpha: float = 1.0,
        time_popularity_weight: float = 0.0,
        time_popularity_window_days: float = 90.0,
        profile_weight: float = 0.0,
        profile_by: str = "both",
        sequence_weight: float = 0.0,
        sequence_window: int = 50,
        sequence_lag_power: float = 0.5,
        sequence_alpha: float = 0.5,
        sequence_last_items: int = 20,
        sequence_recency_power: float = 1.0,
        feedback_weight: float = 0.5,
        cooldown_days: float = 30.0,
        n_threads: int = 2,
        random_state: int = 0,
    ) -> None:
        self.item_k = item_k
        self.user_k = user_k
        self.blend = blend
        self.metric = metric
        self.alpha = alpha
        self.shrink = shrink
        self.row_weight_power = row_weight_power
        self.recency_half_life = recency_half_life
        self.popularity_weight = popularity_weight
        self.popularity_half_life_days = popularity_half_life_days
        self.user_metric = user_metric
        self.user_recency_half_life = user_recency_half_life
        self.knn_weight = knn_weight
        self.ease_weight = ease_weight
        self.ease_l2 = ease_l2
        self.als_weight = als_weight
        self.als_factors = als_factors
        self.als_regularization = als_regularization
        self.als_alpha = als_alpha
        self.time_popularity_weight = time_popularity_weight
        self.time_popularity_window_days = time_popularity_window_days
        self.profile_weight = profile_weight
        self.profile_by = profile_by
        self.sequence_weight = sequence_weight
        self.sequence_window = sequence_window
        self.sequence_lag_power = sequence_lag_power
        self.sequence_alpha = sequence_alpha
        self.sequence_last_items = sequence_last_items
        self.sequence_recency_power = sequence_recency_power
        self.feedback_weight = feedback_weight
        self.cooldown_days = cooldown_days
        self.n_threads = n_threads
        self.random_state = random_state

    def get_params(self) -> dict:
        return {
            k: getattr(self, k)
            for k in (
                "item_k",
                "user_k",
                "blend",
                "metric",
                "alpha",
                "shrink",
                "row_weight_power",
                "recency_half_life",
                "popularity_weight",
                "popularity_half_life_days",
                "user_metric",
                "user_recency_half_life",
                "knn_weight",
                "ease_weight",
                "ease_l2",
                "als_weight",
                "als_factors",
                "als_regularization",
                "als_alpha",
                "time_popularity_weight",
                "time_popularity_window_days",
                "profile_weight",
                "profile_by",
                "sequence_weight",
                "sequence_window",
                "sequence_lag_power",
                "sequence_alpha",
                "sequence_last_items",
                "sequence_recency_power",
                "feedback_weight",
                "cooldown_days",
            )
        }

    def set_params(self, **params):
        for k, v in params.items():
            if not hasattr(self, k):
                raise ValueError(f"unknown parameter {k!r}")
            setattr(self, k, v)
        return self

    # ---- fitting -------------------------------------------------------------------------

    def fit(
        self,
        interactions: pd.DataFrame,
        feedback: pd.DataFrame | None = None,
        profiles: pd.DataFrame | None = None,
    ):
        """Fit on purchases (user_id, item_id[, timestamp]) and optional offer feedback.

        ``feedback`` has user_id, item_id, value (+1 accepted, -1 declined) and
        timestamp (Unix seconds). Accepted offers are added to the interactions.
        ``profiles`` (user_id, income_band, region) feed the profile part, used
        only when ``profile_weight`` is not zero.
        """
        self._profiles = profiles
        frame = _check_frame(interactions)
        fb = self._check_feedback(feedback)
        accepted = fb[fb["value"] > 0]
        if len(accepted):
            frame = pd.concat(
                [frame, accepted[["user_id", "item_id", "timestamp"]]], ignore_index=True
            )
        self._feedback = fb
        return self._fit_checked(frame)  # already checked: skip a second copy of the frame

    @staticmethod
    def _check_feedback(feedback: pd.DataFrame | None) -> pd.DataFrame:
        if feedback is None:
            return pd.DataFrame(
                {
                    c: pd.Series(dtype=object if c in ("user_id", "item_id") else np.int64)
                    for c in FEEDBACK_COLUMNS
                }
            )
        missing = [c for c in FEEDBACK_COLUMNS if c not in feedback.columns]
        if missing:
            raise ValueError(f"feedback frame lacks columns {missing}")
        fb = feedback.loc[:, list(FEEDBACK_COLUMNS)].copy()
        fb["user_id"] = fb["user_id"].astype(str)
        fb["item_id"] = fb["item_id"].astype(str)
        if not fb["value"].isin([1, -1]).all():
            raise ValueError("feedback value must be +1 (accepted) or -1 (declined)")
        fb["timestamp"] = fb["timestamp"].astype(np.int64)
        return fb

    def _fit(self, frame: pd.DataFrame) -> None:
        common = dict(
            metric=self.metric,
            alpha=self.alpha,
            shrink=self.shrink,
            row_weight_power=self.row_weight_power,
        )
        self.item_knn_ = ItemKNN(self.item_k, n_threads=self.n_threads, **common)
        self.item_knn_.user_map_, self.item_knn_.item_map_ = self.user_map_, self.item_map_
        self.item_knn_.seen_, self.item_knn_.history_ = self.seen_, self.history_
        self.item_knn_._fit(frame)
        user_common = common | {"metric": self._part("user_metric") or self.metric}
        self.user_knn_ = UserKNN(self.user_k, **user_common)
        self.user_knn_.user_map_, self.user_knn_.item_map_ = self.user_map_, self.item_map_
        self.user_knn_.seen_, self.user_knn_.history_ = self.seen_, self._user_history(frame)
        self.user_knn_._fit(frame)
        self._fit_latent_parts()
        self.profile_ = None
        if self._part("profile_weight") and getattr(self, "_profiles", None) is not None:
            self.profile_ = profile_shares(
                self.seen_, self.user_map_, self._profiles, self.profile_by
            )
        self._profiles = None  # the shares are kept; the members' rows need not be pickled
        self.sequence_ = None
        if self._part("sequence_weight"):
            self.sequence_ = sequence_parts(
                frame,
                self.user_map_,
                self.item_map_,
                self.sequence_window,
                self.sequence_lag_power,
                self.sequence_alpha,
                self.sequence_last_items,
            )
        self.time_index_ = None
        if self._part("time_popularity_weight"):
            self.time_index_ = time_index(frame, self.user_map_, self.item_map_)
        if self.popularity_half_life_days is None:  # distinct users per item: the seen matrix
            counts = np.asarray(self.seen_.sum(axis=0)).ravel()
            self.popularity_ = counts / max(counts.max(), 1e-12)
        else:
            self.popularity_ = popularity_prior(
                frame, self.item_map_, self.popularity_half_life_days
            )
        declined = self._feedback[self._feedback["value"] < 0]
        last = declined.groupby(["user_id", "item_id"], as_index=False)["timestamp"].max()
        self.declined_ = build_matrix(
            last, self.user_map_, self.item_map_, last["timestamp"].to_numpy(np.float64)
        )
        self.feedback_history_ = self.declined_.copy()
        self.feedback_history_.data[:] = 1.0
        self.fitted_at_ = time.time()

    def _part(self, name: str, default=None):
        # Models pickled before a parameter existed lack its attribute: they never used it.
        return getattr(self, name, default)

    def _user_history(self, frame: pd.DataFrame) -> sp.csr_matrix:
        """The user side's query rows: the shared history, or its own recency weights."""
        half_life = self._part("user_recency_half_life", SAME)
        if half_life == SAME or half_life == self.recency_half_life:
            return self.history_
        if half_life is None:
            return self.seen_.copy()
        weights = recency_weights(frame, half_life)
        return build_matrix(frame, self.user_map_, self.item_map_, weights)

    def _fit_latent_parts(self) -> None:
        self.ease_ = None
        if self.ease_weight:
            self.ease_ = ease_weights(self.seen_, self.ease_l2, EASE_ITEM_LIMIT, EASE_ITEM_LIMIT)
        self.als_ = None
        if self.als_weight:
            self.als_ = als_factors(
                self.seen_,
                self.als_factors,
                self.als_regularization,
                self.als_alpha,
                15,
                self.n_threads,
                self.random_state,
            )

    # ---- feedback after fitting ----------------------------------------------------------

    def record_feedback(self, user_id, item_id, accepted: bool, timestamp: float | None = None):
        """Fold one offer answer in without refitting (known user and item only).

        Accepted: the item becomes part of the member's history (+1). Declined:
        it is pushed down, with its neighbours, and cooled down. Returns self.
        """
        self._check_fitted()
        u, i = self.user_map_.get(user_id), self.item_map_.get(item_id)
        if u < 0 or i < 0:
            return self
        ts = float(time.time() if timestamp is None else timestamp)
        with warnings.catch_warnings():  # one-cell edits of CSR are fine at this rate
            warnings.simplefilter("ignore", sp.SparseEfficiencyWarning)
            self._record(u, i, accepted, ts)
        return self

    def _record(self, u: int, i: int, accepted: bool, ts: float) -> None:
        if accepted:
            for m in {
                id(m): m for m in (self.seen_, self.history_, self.user_knn_.history_)
            }.values():
                m[u, i] = 1.0
            self.user_knn_._fit(pd.DataFrame())
            if self._part("sequence_") is not None:
                follow(self.sequence_[1], u, i)
        else:
            self.declined_ = sp.csr_matrix(self.declined_)
            self.declined_[u, i] = ts
            self.feedback_history_[u, i] = 1.0

    # ---- scoring -------------------------------------------------------------------------

    def component_scores(self, user_idx: np.ndarray) -> dict[str, np.ndarray]:
        """Normalised parts for a block of users: item, user, popularity, declined."""
        user_idx = np.asarray(user_idx, dtype=np.int64)
        out = {}
        knn = self._part("knn_weight", 1.0)
        if knn and self.blend > 0:
            out["item"] = row_normalise(self.item_knn_._scores(user_idx))
        if knn and self.blend < 1:
            out["user"] = row_normalise(self.user_knn_._scores(user_idx))
        if self._part("ease_") is not None:
            kept, weights = self.ease_
            out["ease"] = row_normalise(ease_scores(self.seen_[user_idx], kept, weights))
        if self._part("als_") is not None:
            users, items = self.als_
            out["als"] = row_normalise(users[user_idx] @ items.T)
        if self._part("profile_") is not None:
            out["profile"] = row_normalise(profile_scores(*self.profile_, user_idx))
        if self._part("sequence_") is not None:
            matrix, latest = self.sequence_
            power = self.sequence_recency_power
            out["sequence"] = row_normalise(sequence_scores(matrix, latest, user_idx, power))
        if self._part("time_index_") is not None:
            stamps, codes, last = self.time_index_
            window, n_items = self.time_popularity_window_days, len(self.item_map_)
            out["time"] = time_popularity(stamps, codes, last[user_idx], window, n_items)
        fb = self.feedback_history_[user_idx] if self.feedback_history_.nnz else None
        if fb is not None and fb.nnz:
            out["declined"] = row_normalise(self.item_knn_.score_history(fb))
        return out

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        parts = self.component_scores(user_idx)
        s = np.zeros((len(user_idx), len(self.item_map_)))
        knn = self._part("knn_weight", 1.0)
        if "item" in parts:
            s += knn * self.blend * parts["item"]
        if "user" in parts:
            s += knn * (1.0 - self.blend) * parts["user"]
        if "ease" in parts:
            s += self.ease_weight * parts["ease"]
        if "als" in parts:
            s += self.als_weight * parts["als"]
        if "time" in parts:
            s += self.time_popularity_weight * parts["time"]
        if "profile" in parts:
            s += self.profile_weight * parts["profile"]
        if "sequence" in parts:
            s += self.sequence_weight * parts["sequence"]
        if self.popularity_weight:
            s += self.popularity_weight * self.popularity_[None, :]
        if "declined" in parts:
            s -= self.feedback_weight * parts["declined"]
        return s

    def cooling(self, user_idx: np.ndarray, now: float | None = None) -> sp.csr_matrix:
        """users x items mask of declined items still inside the cool-down at ``now``."""
        now = time.time() if now is None else float(now)
        if not self.declined_.nnz:  # nothing declined yet: skip the row slicing
            return sp.csr_matrix((len(np.atleast_1d(user_idx)), self.declined_.shape[1]))
        d = sp.csr_matrix(self.declined_[np.asarray(user_idx, dtype=np.int64)], copy=True)
        d.data = (d.data > now - self.cooldown_days * DAY).astype(np.float64)
        d.eliminate_zeros()
        return d

    def recommend(
        self, user_ids, n: int = 10, exclude_seen: bool = True, now: float | None = None
    ) -> pd.DataFrame:
        """Top-n per member: user_id, item_id, score, rank, source ('hybrid' or 'popularity').

        Declined items inside the cool-down are never returned. A member the
        model has not seen gets the most popular items (source 'popularity');
        see :mod:`recommender.coldstart` for the cross-service fallback.
        """
        self._check_fitted()
        if isinstance(user_ids, str | int | np.integer):
            user_ids = [user_ids]
        ids = np.asarray([str(u) for u in user_ids], dtype=object)
        idx = self.user_map_.indices(ids)
        known = idx >= 0
        frames = []
        if known.any():
            cool = self.cooling(idx[known], now)
            items, scores = self._top(idx[known], n, exclude_seen, cool)
            f = recommendations_frame(ids[known], items, scores, self.item_map_)
            frames.append(f.assign(source="hybrid"))
        if (~known).any():
            order = np.argsort(-self.popularity_, kind="stable")[:n]
            order = order[self.popularity_[order] > 0]
            for u in ids[~known]:
                frames.append(
                    pd.DataFrame(
                        {
                            "user_id": u,
                            "item_id": self.item_map_.ids[order],
                            "score": self.popularity_[order],
                            "rank": np.arange(1, len(order) + 1),
                            "source": "popularity",
                        }
                    )
                )
        if not frames:
            return pd.DataFrame(columns=["user_id", "item_id", "score", "rank", "source"])
        return pd.concat(frames, ignore_index=True)

    def top_items(
        self, user_id, n: int = 10, exclude_seen: bool = True, now: float | None = None
    ) -> list[tuple[str, float]]:
        """Lean serving path for one member: [(item_id, score), ...], best first.

        Same rules as :meth:`recommend` (cool-down, seen items, popularity for an
        unknown member) without building a DataFrame.
        """
        self._check_fitted()
        u = self.user_map_.get(user_id)
        if u < 0:
            order = np.argsort(-self.popularity_, kind="stable")[:n]
            return [
                (self.item_map_.ids[i], float(self.popularity_[i]))
                for i in order
                if self.popularity_[i] > 0
            ]
        idx = np.array([u])
        cool = self.cooling(idx, now) if self.declined_.nnz else None
        items, scores = self._top(idx, n, exclude_seen, cool)
        ids = self.item_map_.ids
        return [(ids[i], float(s)) for i, s in zip(items[0], scores[0], strict=True) if i >= 0]

    def _top(self, idx, n, exclude_seen, cool):
        """Top-n for user indices ``idx``; ``cool``: cool-down mask (None: nothing declined)."""
        if len(idx) == 1:  # serving path: one member, no batching overhead
            s = self._scores(idx)
            s[s <= 0] = -np.inf
            if exclude_seen:  # the member's seen items straight from the CSR arrays
                seen, u = self.seen_, idx[0]
                s[0, seen.indices[seen.indptr[u] : seen.indptr[u + 1]]] = -np.inf
            if cool is not None and cool.nnz:
                _mask(s, cool)
            return top_n(s, n)
        mask = cool if cool is not None and cool.nnz else None
        return self.recommend_indices(idx, n, exclude_seen, exclude=_expand(mask, idx))

    def tune(
        self, interactions: pd.DataFrame, k: int = 10, grid: dict | None = None, **split_options
    ):
        """Choose hyperparameters on a validation split of ``interactions`` and refit on all of it.

        See :func:`recommender.tuning.tune_hybrid`; returns its TuningResult.
        """
        from recommender.tuning import tune_hybrid

        result = tune_hybrid(self, interactions, k=k, grid=grid, **split_options)
        self.set_params(**result.best_params)
        self.best_params_ = result.best_params
        return result


def _expand(mask: sp.csr_matrix | None, idx: np.ndarray) -> sp.csr_matrix | None:
    """recommend_indices indexes its mask by user index: lift the rows to full height."""
    if mask is None:
        return None
    rows = np.repeat(idx, np.diff(mask.indptr))
    n_users = int(idx.max()) + 1
    return sp.csr_matrix((mask.data, (rows, mask.indices)), shape=(n_users, mask.shape[1]))
