"""Training's threaded pieces with the libraries' own thread pools (OpenMP,
OpenBLAS: one thread per core) beside one thread each, alternated in the same
process on the same frames.

    python bench/bench_training_threads.py [--database-url URL] [--rounds 3] [--tune]

Default database: bench_offers' large one (bench/offers_data.py: 1,000,000
purchases, 100,000 members, 5,000 services), generated under data/bench if it
is not there yet. The pieces are those `refbot train` runs (training.fit_all
and the history calibration): the hybrid's fit (its tuning too with --tune),
K-Means segments, the churn model's gradient boosting (fit and its time-split
evaluation), the calibration's model and Platt fit. Wall seconds per piece,
medians over --rounds; the load average is printed before and after, since
on a shared machine the gap between the two ways grows with the load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from recommender import HybridRecommender, member_features  # noqa: E402
from recommender.churn import ChurnModel  # noqa: E402
from recommender.segments import Segmenter  # noqa: E402
from referral.leads.calibration import fit_from_history  # noqa: E402
from referral.offers.frames import feedback_frame, profiles_frame, purchases_frame  # noqa: E402
from referral.offers.training import churn_window_days  # noqa: E402


async def frames(url: str):  # type: ignore[no-untyped-def]
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine)() as session:
            return (
                await purchases_frame(session),
                await feedback_frame(session),
                await profiles_frame(session),
            )
    finally:
        await engine.dispose()


def pieces(purchases, feedback, profiles, tune: bool) -> dict[str, Callable[[], object]]:  # type: ignore[no-untyped-def]
    features = member_features(purchases)
    window = churn_window_days(purchases)
    profiles = None if profiles.empty else profiles

    def hybrid() -> object:
        model = HybridRecommender(n_threads=1)
        if tune:
            model.tune(purchases, profiles=profiles)
        return model.fit(purchases, feedback, profiles=profiles)

    return {
        "hybrid" + (" (tuned)" if tune else ""): hybrid,
        "segments (K-Means)": lambda: Segmenter(k_range=range(2, 9)).fit(features),
        "churn fit (boosting)": lambda: ChurnModel(window_days=window).fit(purchases),
        "churn evaluation": lambda: ChurnModel(window_days=window).evaluate(purchases),
        "calibration": lambda: fit_from_history(purchases, HybridRecommender().get_params()),
    }


def timed(piece: Callable[[], object], threads: int | None) -> float:
    with threadpool_limits(limits=threads):
        began = time.perf_counter()
        piece()
        return time.perf_counter() - began


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="default: bench_offers' large SQLite database")
    parser.add_argument("--data-dir", type=Path, default=BENCH.parent / "data" / "bench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tune", action="store_true", help="time the hybrid's tuning too")
    args = parser.parse_args()
    url = args.database_url
    if url is None:
        from offers_data import LARGE, database

        url = "sqlite+aiosqlite:///" + str(asyncio.run(database(LARGE, args.data_dir)))
    purchases, feedback, profiles = asyncio.run(frames(url))
    pools = ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info())
    print(
        f"{len(purchases)} purchases, {purchases['user_id'].nunique()} members, "
        f"{purchases['item_id'].nunique()} services; {os.cpu_count()} cores; "
        f"the libraries' pools: {pools}"
    )
    print(f"load average before: {load()}")
    ways = {"own pools": None, "one thread": 1}
    seconds: dict[tuple[str, str], list[float]] = {}
    for n in range(args.rounds):
        for name, piece in pieces(purchases, feedback, profiles, args.tune).items():
            order = list(ways.items())
            for way, threads in order if n % 2 == 0 else order[::-1]:  # neither always first
                seconds.setdefault((name, way), []).append(timed(piece, threads))
    print(f"load average after:  {load()}")
    print(f"wall seconds, median of {args.rounds} rounds [each round]")
    print(f"{'':24} {'own pools':>22} {'one thread':>22}   own / one")
    totals = dict.fromkeys(ways, 0.0)
    for name in dict.fromkeys(name for name, _ in seconds):
        cells = []
        for way in ways:
            got = seconds[name, way]
            totals[way] += statistics.median(got)
            each = ",".join(f"{s:.1f}" for s in got)
            cells.append(f"{statistics.median(got):6.2f} [{each}]")
        ratio = statistics.median(seconds[name, "own pools"]) / statistics.median(
            seconds[name, "one thread"]
        )
        print(f"{name:24} {cells[0]:>22} {cells[1]:>22}   {ratio:6.2f}")
    own, one = totals["own pools"], totals["one thread"]
    print(f"{'sum of medians':24} {own:22.2f} {one:22.2f}   {own / one:6.2f}")


if __name__ == "__main__":
    main()
