"""A joint blend search for movielens-small's per-member split (issue 16's research item).

The hybrid's greedy search adds one part at a time and keeps it only when it
is two standard errors better on validation; on movielens per-user it stops
at user-kNN + item-kNN, whose test figure only matches EASE. This study keeps
the same validation split and the parts' parameters ``refbot evaluate`` chose
there (its printed table: user-kNN k=20 cosine recency 3, item-kNN k=20
Jaccard recency 3, EASE l2=300, ALS 32 factors, regularisation 1, alpha 1),
scores every blend of a small full grid of their weights on validation at
once, takes the best one there, and only then scores it on the test, once,
against tuned EASE with the paired bootstrap. The test is never an input to a
choice.

    python -m recommender.research.joint_blend --dataset movielens-small/ratings.csv
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from recommender.bootstrap import paired_bootstrap
from recommender.data import load_dataset
from recommender.evaluation import _score
from recommender.hybrid import HybridRecommender
from recommender.model_search import CANDIDATES, Validation
from recommender.research.per_user_parts import fixed_parts
from recommender.split import relevance_sets, split_frame
from recommender.tuning import BlendScorer, hybrid_params

TODAY = {"user-knn": 1.0, "item-knn": 0.4}  # the blend refbot evaluate chose
GRID = {"item-knn": (0, 0.15, 0.4, 1.0), "ease": (0, 0.15, 0.4, 1.0, 2.5), "als": (0, 0.15, 0.4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--dataset-format", default="movielens")
    args = parser.parse_args()
    began = time.perf_counter()
    frame = load_dataset(args.dataset, args.dataset_format).frame
    train, test = split_frame(frame, "per-user")
    validation = Validation(train, "per-user")
    parts = fixed_parts(["user-knn", "item-knn", "ease", "als"], validation)
    scorer = BlendScorer(parts, validation, 10)
    today = scorer.score(TODAY)
    blends = []
    for weights in itertools.product(*GRID.values()):
        blend = {"user-knn": 1.0} | {n: w for n, w in zip(GRID, weights, strict=True) if w}
        score = scorer.score(blend)
        gain = score - today
        spread = gain.std(ddof=1) / np.sqrt(len(gain))
        errors = gain.mean() / spread if spread > 0 else 0.0  # today's blend itself
        blends.append((float(score.mean()), float(errors), blend))
    blends.sort(key=lambda b: -b[0])
    print(f"validation: {len(validation.users)} members, {len(blends)} blends")
    for mean, errors, blend in blends[:5]:
        print(f"  NDCG@10 {mean:.4f} ({errors:+.1f} standard errors over today's blend) {blend}")
    chosen = blends[0][2]
    members_known = set(train["user_id"])
    rels = {u: s for u, s in relevance_sets(train, test).items() if u in members_known}
    members = sorted(rels)
    scores = {}
    for name, blend in (("chosen", chosen), ("today", TODAY)):
        hybrid = HybridRecommender(random_state=0, n_threads=2, **hybrid_params(blend, parts))
        scores[name] = _score(hybrid.fit(train), rels, members, 10)[1]
    scores["ease"] = _score(CANDIDATES["ease"].build(l2=300.0).fit(train), rels, members, 10)[1]
    print(
        f"test, {len(members)} members: chosen {scores['chosen'].mean():.4f}, "
        f"today's hybrid {scores['today'].mean():.4f}, EASE {scores['ease'].mean():.4f}"
    )
    for name in ("chosen", "today"):
        iv = paired_bootstrap(scores[name], scores["ease"], 2000, seed=0)
        print(f"  {name} - EASE: {iv.mean:+.4f} [{iv.low:+.4f}, {iv.high:+.4f}]: {iv.verdict}")
    print(f"{time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
