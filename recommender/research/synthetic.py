"""A labelled synthetic data set with members' income band and region (side information).

No shared data set has such fields, so this one is generated, and every output
that uses it says "synthetic". Each member has a region (6) and an income band
(3); each of the 18 profiles has 25 favourite services. A member's
interactions come one third from global popularity (long-tailed), one third
from their profile's favourites and one third from a personal taste (2 of 12
genres of 25 services each), at random times over a year. So popularity,
neighbourhoods and the profile all carry signal, and the profile's share is
known: ``profile_share`` (the other two share the rest equally).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY = 86_400


def profiled_purchases(
    n_members: int = 3000,
    n_items: int = 300,
    rows_per_member: int = 16,
    profile_share: float = 1 / 3,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(purchases user_id, item_id, timestamp; profiles user_id, income_band, region)."""
    rng = np.random.default_rng(seed)
    regions = rng.integers(0, 6, n_members)
    bands = rng.integers(0, 3, n_members)
    profile = regions * 3 + bands
    favourites = np.array([rng.choice(n_items, 25, replace=False) for _ in range(18)])
    genres = rng.permutation(n_items)[:300].reshape(12, 25)
    tastes = np.array([rng.choice(12, 2, replace=False) for _ in range(n_members)])
    weights = 1.0 / (np.arange(n_items) + 5.0)
    global_p = weights / weights.sum()
    users, items = [], []
    for member in range(n_members):
        n = max(2, rng.poisson(rows_per_member))
        rest = (1.0 - profile_share) / 2  # global popularity and personal taste alike
        source = rng.choice(3, size=n, p=[rest, profile_share, rest])
        picks = np.where(
            source == 0,
            rng.choice(n_items, size=n, p=global_p),
            np.where(
                source == 1,
                favourites[profile[member]][rng.integers(0, 25, n)],
                genres[tastes[member][rng.integers(0, 2, n)], rng.integers(0, 25, n)],
            ),
        )
        users += [f"s{member}"] * n
        items += picks.tolist()
    purchases = pd.DataFrame(
        {
            "user_id": users,
            "item_id": [f"service{i}" for i in items],
            "timestamp": 1_700_000_000 + rng.integers(0, 365 * DAY, len(users)),
        }
    ).drop_duplicates(["user_id", "item_id"])
    profiles = pd.DataFrame(
        {
            "user_id": [f"s{m}" for m in range(n_members)],
            "income_band": [("low", "middle", "high")[b] for b in bands],
            "region": [f"region{r}" for r in regions],
        }
    )
    return purchases.reset_index(drop=True), profiles
