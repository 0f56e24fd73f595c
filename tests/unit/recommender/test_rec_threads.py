"""Training's fits run with OpenMP and BLAS at one thread (recommender.one_thread)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# A fresh interpreter: scikit-learn not yet loaded, as in `refbot train` and the
# bot, whose training imports it inside the worker thread that fits.
PROBE = """
import asyncio, json
from threadpoolctl import threadpool_info
from recommender import one_thread

def fit():
    with one_thread():
        from sklearn.cluster import KMeans  # what a fit inside the block loads
        inside = threadpool_info()
    return {"inside": inside, "after": threadpool_info()}

print(json.dumps(asyncio.run(asyncio.to_thread(fit))))
"""


def pools(where: str) -> dict[str, int]:
    env = {**os.environ, "OMP_NUM_THREADS": "3", "OPENBLAS_NUM_THREADS": "3"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], check=True, capture_output=True, text=True, env=env
    ).stdout
    return {p["filepath"]: p["num_threads"] for p in json.loads(out)[where]}


def test_every_pool_a_fit_loads_runs_one_thread_inside_the_block():
    inside = pools("inside")
    assert any("gomp" in path for path in inside)  # scikit-learn's OpenMP is among them
    assert set(inside.values()) == {1}


def test_the_pools_are_given_back_after_the_block():
    after = pools("after")
    assert {n for path, n in after.items() if "gomp" in path} == {3}  # OMP_NUM_THREADS again
