"""Segments: K-Means on scaled behaviour, k chosen by silhouette, readable profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from recommender.features import FEATURES

# Words for a feature that is high (+) or low (-) in a segment compared with everyone.
WORDS = {
    "frequency": ("frequent", "occasional"),
    "avg_amount": ("big-spending", "small-spending"),
    "recency_days": ("lapsed", "recent"),
    "breadth": ("broad", "narrow"),
}


class Segmenter:
    """K-Means on ``features`` (log1p then standard scaling), k in ``k_range`` by silhouette.

    Learned: ``k_``, ``silhouettes_`` (k -> score), ``scaler_``, ``kmeans_``,
    ``labels_`` (Series user_id -> segment), ``profiles_`` (one row per segment:
    segment, name, size, the mean of every feature, ``distinguishing`` = the
    features whose scaled centroid is furthest from 0, i.e. from the average member).
    """

    def __init__(
        self,
        k_range=range(2, 9),
        features=FEATURES,
        random_state: int = 0,
        silhouette_sample: int = 5000,
    ) -> None:
        self.k_range = k_range
        self.features = features
        self.random_state = random_state
        self.silhouette_sample = silhouette_sample

    def _matrix(self, features: pd.DataFrame) -> np.ndarray:
        return np.log1p(np.clip(features[list(self.features)].to_numpy(float), 0, None))

    def fit(self, features: pd.DataFrame):
        x = self._matrix(features)
        self.scaler_ = StandardScaler().fit(x)
        z = self.scaler_.transform(x)
        ks = [k for k in self.k_range if 2 <= k < len(z)]
        if not ks:
            raise ValueError("need more members than the smallest k")
        sample = min(self.silhouette_sample, len(z))
        self.silhouettes_, models = {}, {}
        for k in ks:
            km = KMeans(n_clusters=k, n_init=4, random_state=self.random_state).fit(z)
            models[k] = km
            if len(set(km.labels_)) < 2:
                continue
            self.silhouettes_[k] = float(
                silhouette_score(z, km.labels_, sample_size=sample, random_state=self.random_state)
            )
        self.k_ = max(self.silhouettes_, key=lambda k: (self.silhouettes_[k], -k))
        self.kmeans_ = models[self.k_]
        self.labels_ = pd.Series(self.kmeans_.labels_, index=features.index, name="segment")
        self.profiles_ = self._profiles(features)
        return self

    def predict(self, features: pd.DataFrame) -> pd.Series:
        z = self.scaler_.transform(self._matrix(features))
        return pd.Series(self.kmeans_.predict(z), index=features.index, name="segment")

    def _profiles(self, features: pd.DataFrame) -> pd.DataFrame:
        rows = []
        for seg, centre in enumerate(self.kmeans_.cluster_centers_):
            order = np.argsort(-np.abs(centre))
            top = [self.features[i] for i in order[:2] if abs(centre[i]) >= 0.25]
            words = [
                WORDS.get(f, (f"high {f}", f"low {f}"))[
                    0 if centre[self.features.index(f)] > 0 else 1
                ]
                for f in top
            ]
            name = " ".join(words) + " members" if words else "typical members"
            members = features[self.labels_ == seg]
            rows.append(
                {
                    "segment": seg,
                    "name": name,
                    "size": len(members),
                    **{f: float(members[f].mean()) for f in self.features},
                    "distinguishing": ", ".join(
                        f"{f} {'+' if centre[self.features.index(f)] > 0 else '-'}"
                        f"{abs(centre[self.features.index(f)]):.1f}sd"
                        for f in top
                    ),
                }
            )
        return pd.DataFrame(rows)
