import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def purchases():
    """Two taste groups: users 0-9 use items a,b,c; users 10-19 use x,y,z; timestamps increase."""
    rows = []
    rng = np.random.default_rng(0)
    for u in range(20):
        items = ["a", "b", "c"] if u < 10 else ["x", "y", "z"]
        for t, i in enumerate(items):
            if u in (0, 10) and t == 2:
                continue  # the probe users lack their group's last item
            rows.append((f"m{u}", i, 1_000 + 10 * t + int(rng.integers(0, 3))))
    rows.append(("m5", "x", 5_000))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
