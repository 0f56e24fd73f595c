"""Behaviour segments of one company's customers: the recommender's K-Means
(:class:`recommender.segments.Segmenter`, k by silhouette) on visit frequency,
average check and recency at this company, named in Russian and English from
the features that set each centroid apart."""

from __future__ import annotations

import numpy as np
import pandas as pd

from referral.analytics.words import LANGUAGES, SEGMENT_TAIL, SEGMENT_WORDS, TYPICAL

SEGMENT_FEATURES = ["frequency", "avg_amount", "recency_days"]
MAX_POINTS = 1500
FIT_SAMPLE = 4000
DISTINCT = 0.25  # a centroid this many deviations from the mean is worth a word


def behaviour(customers: pd.DataFrame, today: int) -> pd.DataFrame:
    """Index member_id: visits per 30 days of tenure, average check (roubles),
    days since the last visit."""
    tenure = np.maximum(today - customers["first_day"].to_numpy(float), 30.0)
    return pd.DataFrame(
        {
            "frequency": customers["visits"].to_numpy(float) / tenure * 30.0,
            "avg_amount": customers["revenue_minor"].to_numpy(float)
            / customers["purchases"].to_numpy(float)
            / 100.0,
            "recency_days": today - customers["last_day"].to_numpy(float),
        },
        index=customers["member_id"].to_numpy(),
    )


def names_for(centre: np.ndarray) -> dict[str, str]:
    order = np.argsort(-np.abs(centre))
    top = [i for i in order[:2] if abs(centre[i]) >= DISTINCT]
    names = {}
    for language in LANGUAGES:
        words = [
            SEGMENT_WORDS[SEGMENT_FEATURES[i]][language][0 if centre[i] > 0 else 1] for i in top
        ]
        names[language] = (
            " ".join(words) + " " + SEGMENT_TAIL[language] if words else TYPICAL[language]
        )
    return names


def fit(features: pd.DataFrame, floor: int) -> tuple[pd.Series, list[dict]] | None:
    """(segment number per member, one profile per segment), or None when
    there are too few members to split."""
    # scikit-learn is imported by the analytics job only (see churn.at_risk).
    from threadpoolctl import threadpool_limits

    from recommender.segments import Segmenter

    if len(features) < max(3 * floor, 10):
        return None
    # K-Means learns centroids from a fixed sample (seconds saved per partner at
    # a bank's scale), then every member takes its nearest centroid.
    sample = features.sample(min(len(features), FIT_SAMPLE), random_state=0)
    # One thread: OpenMP's spinning workers on a busy two-core machine made
    # K-Means on 4,000 points take half a second a run instead of milliseconds.
    with threadpool_limits(limits=1):
        segmenter = Segmenter(
            k_range=range(2, 6), features=SEGMENT_FEATURES, silhouette_sample=2000
        ).fit(sample)
    labels = segmenter.predict(features)
    profiles = []
    for number, centre in enumerate(segmenter.kmeans_.cluster_centers_):
        inside = features[labels == number]
        profiles.append(
            {
                "segment": number,
                "names": names_for(centre),
                "size": len(inside),
                **{f: round(float(inside[f].mean()), 2) for f in SEGMENT_FEATURES},
            }
        )
    return labels, profiles


def points(features: pd.DataFrame, labels: pd.Series, seed: int = 0) -> pd.DataFrame:
    """At most MAX_POINTS members (a fixed random sample) for the scatter plot."""
    chosen = features.join(labels.rename("segment"), how="inner")
    if len(chosen) > MAX_POINTS:
        chosen = chosen.sample(MAX_POINTS, random_state=seed)
    return chosen
