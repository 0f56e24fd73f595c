"""Which blend search carries to unseen members? A nested validation on movielens per-user.

The hybrid's blend search is a rule, and a rule is chosen like any parameter:
on validation only. Here the validation split of ``refbot evaluate`` (carved
from the training part) is the *outer* check, and a second split carved from
its fit part by the same rule is the *inner* one. Each rule chooses a blend on
the inner split; the blend is then scored on the outer split against the best
part alone (sequential rules), with the paired bootstrap. The test split is
not loaded into any choice. Parts are fixed at the parameters ``refbot
evaluate`` chose on this split (docs/recommender.md).

    python -m recommender.research.nested_blend --dataset movielens-small/ratings.csv
"""

from __future__ import annotations

import argparse
import time

import recommender.tuning as tuning
from recommender.bootstrap import paired_bootstrap
from recommender.data import load_dataset
from recommender.model_search import Validation
from recommender.research.per_user_parts import CHOSEN, fixed_parts
from recommender.split import split_frame
from recommender.tuning import BlendScorer, clearly_better


def greedy(parts, validation, errors: float) -> dict[str, float]:
    """The search before this study: one part at a time, each past ``errors`` standard errors."""
    scorer = BlendScorer(parts, validation, 10)
    order = sorted(parts, key=lambda name: -parts[name].score)
    weights = {order[0]: 1.0}
    best = scorer.score(weights)
    saved, tuning.MIN_GAIN_IN_ERRORS = tuning.MIN_GAIN_IN_ERRORS, errors
    try:
        for name in order[1:]:
            chosen = None
            for w in (0.05, 0.15, 0.4, 1.0, 2.5):
                score = scorer.score(weights | {name: w})
                if clearly_better(score, best) and (
                    chosen is None or score.mean() > chosen[1].mean()
                ):
                    chosen = w, score
            if chosen is not None:
                weights[name], best = chosen
    finally:
        tuning.MIN_GAIN_IN_ERRORS = saved
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--dataset-format", default="movielens")
    args = parser.parse_args()
    began = time.perf_counter()
    frame = load_dataset(args.dataset, args.dataset_format).frame
    train, _ = split_frame(frame, "per-user")  # the test half is not used
    outer = Validation(train, "per-user")
    inner = Validation(outer.fit_part, "per-user")
    inner_parts = fixed_parts(list(CHOSEN), inner)
    outer_parts = fixed_parts(list(CHOSEN), outer)
    outer_scorer = BlendScorer(outer_parts, outer, 10)
    best = max(inner_parts, key=lambda name: inner_parts[name].score)
    alone = outer_scorer.score({best: 1.0})
    print(f"inner: {len(inner.users)} members; outer: {len(outer.users)}; best part {best}")
    rules = {
        "greedy, 2 standard errors (the search before)": greedy(inner_parts, inner, 2.0),
        "greedy, 1.5 standard errors": greedy(inner_parts, inner, 1.5),
        "greedy, 1 standard error": greedy(inner_parts, inner, 1.0),
        "even ensembles (the search now)": tuning.search_blend(inner_parts, inner, 10)[0],
    }
    for name, blend in rules.items():
        score = outer_scorer.score(blend)
        iv = paired_bootstrap(score, alone, 2000, seed=0)
        print(
            f"{name}: {blend}\n  outer {score.mean():.4f} vs {best} alone {alone.mean():.4f}: "
            f"{iv.mean:+.4f} [{iv.low:+.4f}, {iv.high:+.4f}]"
        )
    print(f"{time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
