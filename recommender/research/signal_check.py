"""Is there member signal? Real data against copies whose member ids carry none.

Each copy keeps every event (one member's rows at one timestamp: a grocery
basket) whole, with its items and timestamp, and hands it to a member drawn by
a random permutation, so every member keeps their number of events. What a
model can still learn from such a copy is non-personal: item popularity and
how it drifts over time, basket sizes, how active members are.

Two figures per data set, each compared between the real data and the copies:

* ``hybrid %``: the hybrid's NDCG@10 gain over the best other model, the
  figure issue 4 asks about. The hybrid includes recency-decayed popularity,
  which is non-personal and survives the shuffle, so this figure can stay as
  high on copies as on real data even where members do carry signal.
* ``knn %``: the best neighbourhood model's (item-kNN, user-kNN, implicit)
  gain over popularity. These rank by the member's own history and nothing
  else (no recency, no popularity prior), so member signal shows here: on
  MovieLens it is +33% on real data and below zero on every copy.

    python -m recommender.research.signal_check --dataset FILE \
        --dataset-format groceries --shuffles 20
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
import pandas as pd

from recommender.split import relevance_sets, time_split

MODELS = ["popularity", "item-knn", "user-knn", "hybrid", "implicit-cosine", "implicit-bm25"]
PERSONAL = ["item-knn", "user-knn", "implicit-cosine", "implicit-bm25"]
_MAX_REPAIR_ROUNDS = 1_000


def shuffle_members(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A copy of ``frame`` whose events (user_id, timestamp groups) have random owners.

    The null model "member identity carries nothing": the user ids of the events
    are permuted (``numpy.random.default_rng(seed)``), so which events a member
    holds becomes random, while each event stays whole and every member keeps
    their number of events. Items, timestamps, other columns and row order are
    untouched. Two events of one timestamp must not land on one member (they
    would merge into one event): such clashes are undone by swapping owners with
    randomly chosen events until none is left, which keeps each member's count.
    Raises ValueError if that does not converge.
    """
    keys = pd.MultiIndex.from_frame(frame[["user_id", "timestamp"]])
    codes, events = keys.factorize()
    stamps = events.get_level_values(1).to_numpy()
    rng = np.random.default_rng(seed)
    owners = rng.permutation(events.get_level_values(0).to_numpy())
    for _ in range(_MAX_REPAIR_ROUNDS):
        clashes = np.flatnonzero(pd.DataFrame({"u": owners, "t": stamps}).duplicated())
        if len(clashes) == 0:
            break
        for i, j in zip(clashes, rng.integers(0, len(owners), len(clashes)), strict=True):
            owners[i], owners[j] = owners[j], owners[i]
    else:
        raise ValueError("could not give every member events with distinct timestamps")
    out = frame.copy()
    out["user_id"] = owners[codes]
    return out


def ndcg_row(frame: pd.DataFrame, k: int = 10) -> dict[str, float | int | str]:
    """NDCG@k of every model on ``time_split(frame)``, as `refbot evaluate` computes it;
    the number of scored users and pairs; the hybrid's gain in % over the best other
    model; the best neighbourhood model's gain in % over popularity."""
    from recommender.evaluation import evaluate

    train, test = time_split(frame)
    rels = relevance_sets(train, test)
    with warnings.catch_warnings():  # as `refbot evaluate`: implicit and sklearn chatter
        warnings.simplefilter("ignore")
        table = evaluate(train, test, k=k).table
    ndcg = dict(zip(table["model"], table[f"ndcg@{k}"], strict=True))
    best = max((m for m in ndcg if m != "hybrid"), key=ndcg.__getitem__)
    knn = max((m for m in ndcg if m in PERSONAL), key=ndcg.__getitem__)
    return ndcg | {
        "users": len(rels),
        "pairs": sum(map(len, rels.values())),
        "best baseline": best,
        "hybrid %": 100.0 * (ndcg["hybrid"] / ndcg[best] - 1.0),
        "best knn": knn,
        "knn %": 100.0 * (ndcg[knn] / ndcg["popularity"] - 1.0),
    }


def signal_table(frame: pd.DataFrame, shuffles: int, seed: int) -> pd.DataFrame:
    """One row for the real data, then one per shuffle (seeds ``seed .. seed+shuffles-1``)."""
    rows = []
    for n in range(-1, shuffles):
        t0 = time.perf_counter()
        data = frame if n < 0 else shuffle_members(frame, seed + n)
        name = "real" if n < 0 else f"shuffle {seed + n}"  # the seed: rows can be re-run
        rows.append({"dataset": name} | ndcg_row(data))
        print(f"# {name}: {time.perf_counter() - t0:.1f}s", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    models = [m for m in MODELS if m in table]  # implicit's rows are absent without it
    gains = ["best baseline", "hybrid %", "best knn", "knn %"]
    return table[["dataset", *models, "users", "pairs", *gains]]


def summary(table: pd.DataFrame, column: str) -> str:
    """The real row's ``column`` against the shuffles' min / median / max, and the share
    of shuffles that reach it (an empirical p-value)."""
    real = table[column].iloc[0]
    null = table[column].iloc[1:].to_numpy()
    reached = int((null >= real).sum())
    return (
        f"{column}: real {real:+.1f}; shuffled min {null.min():+.1f}, "
        f"median {np.median(null):+.1f}, max {null.max():+.1f}; "
        f"{reached} of {len(null)} shuffles reach the real value (p = {reached / len(null):.2f})"
    )


def main(argv: list[str] | None = None) -> None:
    from recommender.data import FORMATS, load_dataset

    p = argparse.ArgumentParser(
        prog="python -m recommender.research.signal_check", description=__doc__
    )
    p.add_argument("--dataset", required=True)
    p.add_argument("--dataset-format", default="generic", choices=FORMATS)
    p.add_argument("--shuffles", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    if a.shuffles < 1:
        p.error("--shuffles must be at least 1")
    data = load_dataset(a.dataset, a.dataset_format)
    print(f"# {data.description}", flush=True)
    table = signal_table(data.frame, a.shuffles, a.seed)
    with pd.option_context("display.width", 200):
        print(
            table.to_string(
                index=False,
                float_format=lambda v: f"{v:.4f}",
                formatters={c: "{:+.1f}".format for c in ("hybrid %", "knn %")},
            )
        )
    print(summary(table, "hybrid %"))
    print(summary(table, "knn %"))


if __name__ == "__main__":
    main()
