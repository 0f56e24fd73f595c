"""`refbot train` (and the bot's scheduled retraining) fits with OpenMP and BLAS
at one thread: their own pools, one worker per core, made K-Means and gradient
boosting several times slower on a loaded two-core machine (docs/benchmarks.md)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from threadpoolctl import threadpool_info

import referral.offers.training as training
from tests.offers_world import START, seed


def _threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info()}


async def test_training_fits_with_one_thread_in_every_pool(db, tmp_path, monkeypatch):
    import sklearn  # noqa: F401  (its OpenMP runtime among the pools looked at)

    if await asyncio.to_thread(_threads) == {1}:
        pytest.skip("one core: the libraries' own pools are one thread already")
    seen: dict[str, set[int]] = {}

    def watched(fit):  # type: ignore[no-untyped-def]
        def fit_and_look(*args, **kwargs):  # type: ignore[no-untyped-def]
            seen[fit.__name__] = _threads()
            return fit(*args, **kwargs)

        return fit_and_look

    monkeypatch.setattr(training, "fit_all", watched(training.fit_all))
    monkeypatch.setattr(training, "fit_from_history", watched(training.fit_from_history))
    await seed(db)
    await training.train(tmp_path, db, tune=False, now=START + timedelta(days=30))
    assert seen == {"fit_all": {1}, "fit_from_history": {1}}
