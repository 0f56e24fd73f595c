"""Popularity: globally, within a segment of members, within a company's catalogue."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from recommender.base import BaseRecommender

DAY = 86_400


class PopularityRecommender(BaseRecommender):
    """Ranks items by how many distinct users used them (optionally recency-decayed).

    ``fit(frame, segments=None, item_company=None)``: ``segments`` maps user_id ->
    segment label (e.g. a K-Means segment), ``item_company`` maps item_id ->
    company. Learned: ``counts_`` (per item), ``segment_counts_`` (label ->
    per-item counts), ``item_company_`` (array of company per item index).
    """

    def __init__(self, recency_half_life: float | None = None) -> None:
        self.recency_half_life = recency_half_life

    def fit(
        self,
        interactions: pd.DataFrame,
        segments: Mapping | pd.Series | None = None,
        item_company: Mapping | pd.Series | None = None,
    ):
        self._segments = dict(segments.items()) if segments is not None else {}
        self._item_company = dict(item_company.items()) if item_company is not None else {}
        return super().fit(interactions)

    def _fit(self, frame: pd.DataFrame) -> None:
        self.counts_ = np.asarray(self.history_.sum(axis=0)).ravel()
        self.segment_counts_: dict[object, np.ndarray] = {}
        self.user_segment_ = np.full(len(self.user_map_), None, dtype=object)
        for user, seg in self._segments.items():
            j = self.user_map_.get(user)
            if j >= 0:
                self.user_segment_[j] = seg
        for seg in {s for s in self.user_segment_ if s is not None}:
            rows = np.flatnonzero(self.user_segment_ == seg)
            self.segment_counts_[seg] = np.asarray(self.history_[rows].sum(axis=0)).ravel()
        self.item_company_ = np.array(
            [self._item_company.get(i) for i in self.item_map_.ids], dtype=object
        )

    def item_scores(self, segment=None, company=None) -> np.ndarray:
        """Per-item popularity in [0, 1]; -inf outside ``company`` when one is given.

        With a ``segment`` that has data, the segment's counts are used, blended
        with a small global share so unseen-in-segment items still rank.
        """
        self._check_fitted()
        base = self.counts_ / max(self.counts_.max(), 1e-12)
        if segment is not None and segment in self.segment_counts_:
            seg = self.segment_counts_[segment]
            base = 0.9 * seg / max(seg.max(), 1e-12) + 0.1 * base
        if company is not None:
            base = np.where(self.item_company_ == company, base, -np.inf)
        return base

    def top_items(
        self, n: int = 10, segment=None, company=None, exclude: set | None = None
    ) -> pd.DataFrame:
        """The n most popular items (within a segment and/or company): item_id, score."""
        s = self.item_scores(segment, company).copy()
        if exclude:
            idx = self.item_map_.indices(list(exclude))
            s[idx[idx >= 0]] = -np.inf
        s[s <= 0] = -np.inf
        order = np.argsort(-s, kind="stable")[:n]
        order = order[np.isfinite(s[order])]
        return pd.DataFrame({"item_id": self.item_map_.ids[order], "score": s[order]})

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        out = np.empty((len(user_idx), len(self.item_map_)))
        for r, u in enumerate(user_idx):
            out[r] = self.item_scores(self.user_segment_[u])
        return out


def popularity_prior(frame: pd.DataFrame, item_map, half_life_days: float | None) -> np.ndarray:
    """Per-item popularity in [0, 1]: distinct users, or interactions decayed by age.

    With ``half_life_days`` each interaction weighs 0.5 ** (age / half-life), age
    measured from the newest timestamp in ``frame``.
    """
    if half_life_days is None or frame.empty:
        pairs = frame.drop_duplicates(["user_id", "item_id"])
        w = np.ones(len(pairs))
    else:
        pairs = frame
        age = (frame["timestamp"].max() - frame["timestamp"].to_numpy()) / DAY
        w = np.power(0.5, age / half_life_days)
    idx = item_map.indices(pairs["item_id"].to_numpy())
    ok = idx >= 0
    counts = np.bincount(idx[ok], weights=w[ok], minlength=len(item_map))
    return counts / max(counts.max(), 1e-12)


class DecayedPopularity(BaseRecommender):
    """The same list for everyone: interactions weighted 0.5 ** (age / half-life), age in days
    from the newest training interaction (``half_life_days=None``: distinct users).

    Learned: ``popularity_`` (per item, in [0, 1]).
    """

    def __init__(self, half_life_days: float | None = 365.0) -> None:
        self.half_life_days = half_life_days

    def _fit(self, frame: pd.DataFrame) -> None:
        self.popularity_ = popularity_prior(frame, self.item_map_, self.half_life_days)

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.popularity_, (len(user_idx), len(self.popularity_))).copy()


class MemberTimePopularity(BaseRecommender):
    """What was used most in the ``window_days`` up to each member's own last interaction.

    Members come back in sessions, and what they pick next is often what others
    were picking at that time (new releases, the season). Only training rows up
    to the member's last one count, so the member's future is never looked at.
    Learned: ``stamps_`` / ``codes_`` (training rows by time), ``last_`` (per member).
    """

    def __init__(self, window_days: float = 90.0) -> None:
        self.window_days = window_days

    def _fit(self, frame: pd.DataFrame) -> None:
        self.stamps_, self.codes_, self.last_ = time_index(frame, self.user_map_, self.item_map_)

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return time_popularity(
            self.stamps_, self.codes_, self.last_[user_idx], self.window_days, len(self.item_map_)
        )


def time_index(
    frame: pd.DataFrame, user_map, item_map
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(timestamps ascending, item codes in that order, each member's last timestamp)."""
    stamps = frame["timestamp"].to_numpy(np.int64)
    order = np.argsort(stamps, kind="stable")
    codes = item_map.indices(frame["item_id"].to_numpy())[order]
    last = np.full(len(user_map), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, user_map.indices(frame["user_id"].to_numpy()), stamps)
    return stamps[order], codes.astype(np.int64), last


def time_popularity(stamps, codes, last, window_days: float, n_items: int) -> np.ndarray:
    """Rows of per-item counts in (last - window, last], each divided by its top count."""
    lo = np.searchsorted(stamps, last - window_days * DAY, side="right")
    hi = np.searchsorted(stamps, last, side="right")
    out = np.zeros((len(last), n_items))
    for row, (a, b) in enumerate(zip(lo, hi, strict=True)):
        counts = np.bincount(codes[a:b], minlength=n_items)
        top = counts.max() if b > a else 0
        if top:
            out[row] = counts / top
    return out


PROFILE_FIELDS = {
    "region": ["region"],
    "income_band": ["income_band"],
    "both": ["income_band", "region"],
}


class ProfilePopularity(BaseRecommender):
    """Side information: what members of the same profile (income band and/or region) use.

    The neighbourhood of a member is every member sharing the profile fields named
    by ``by`` (``region``, ``income_band`` or ``both``), as the MTS seed's "similar
    clients ranked by income and region"; score = share of those members who used
    the service. ``profiles`` has user_id and the fields; a member without a
    profile row gets no score. Learned: ``group_`` (per member), ``shares_``.
    """

    def __init__(self, by: str = "both", profiles: pd.DataFrame | None = None) -> None:
        self.by = by
        self.profiles = profiles

    def _fit(self, frame: pd.DataFrame) -> None:
        self.group_, self.shares_ = profile_shares(
            self.seen_, self.user_map_, self.profiles, self.by
        )

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return profile_scores(self.group_, self.shares_, user_idx)


def profile_shares(seen, user_map, profiles: pd.DataFrame | None, by: str):
    """(group code per member, -1 without a profile; groups x items share of members)."""
    if by not in PROFILE_FIELDS:
        raise ValueError(f"by must be one of {', '.join(PROFILE_FIELDS)}")
    group = np.full(len(user_map), -1, dtype=np.int64)
    if profiles is None or profiles.empty:
        return group, np.zeros((0, seen.shape[1]))
    fields = PROFILE_FIELDS[by]
    keys = profiles[fields].astype(str).agg("|".join, axis=1).to_numpy()
    codes, names = pd.factorize(keys)
    rows = user_map.indices(profiles["user_id"].astype(str).to_numpy())
    group[rows[rows >= 0]] = codes[rows >= 0]
    shares = np.zeros((len(names), seen.shape[1]))
    for g in range(len(names)):
        members = np.flatnonzero(group == g)
        if len(members):
            shares[g] = np.asarray((seen[members] > 0).sum(axis=0)).ravel() / len(members)
    return group, shares


def profile_scores(group: np.ndarray, shares: np.ndarray, user_idx: np.ndarray) -> np.ndarray:
    out = np.zeros((len(user_idx), shares.shape[1]))
    g = group[user_idx]
    out[g >= 0] = shares[g[g >= 0]]
    return out
