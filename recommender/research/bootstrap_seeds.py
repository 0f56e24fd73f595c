"""How much does a verdict owe to the bootstrap's seed? One evaluation, many resamplings.

Runs ``refbot evaluate``'s path once on one dataset and split, then draws the
paired bootstrap interval of the hybrid minus the best other model with seeds
0 .. ``--seeds`` - 1 (2,000 resamples each, as printed) and once with 20,000
resamples. Nothing is chosen here: the models and the blend are those the
evaluation chose on validation.

    python -m recommender.research.bootstrap_seeds --dataset movielens-small/ratings.csv \\
        --dataset-format movielens --split per-user
"""

from __future__ import annotations

import argparse
import warnings

from recommender.bootstrap import paired_bootstrap
from recommender.data import load_dataset
from recommender.evaluation import evaluate
from recommender.split import split_frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--dataset-format", default="movielens")
    parser.add_argument("--split", default="per-user")
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    frame = load_dataset(args.dataset, args.dataset_format).frame
    train, test = split_frame(frame, args.split)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = evaluate(train, test, split=args.split)
    hybrid, other = report.per_member["hybrid"], report.per_member[report.best_other]
    print(f"hybrid: {report.blend}; best other: {report.best_other}")
    for seed in range(args.seeds):
        iv = paired_bootstrap(hybrid, other, 2000, seed=seed)
        print(f"seed {seed}: {iv.mean:+.4f} [{iv.low:+.4f}, {iv.high:+.4f}] {iv.verdict}")
    iv = paired_bootstrap(hybrid, other, 20000, seed=0)
    print(f"20,000 resamples: {iv.mean:+.4f} [{iv.low:+.4f}, {iv.high:+.4f}] {iv.verdict}")


if __name__ == "__main__":
    main()
