"""`refbot evaluate`: offline comparison of the recommenders on one split.

Only option parsing and printing live here; the work is recommender.evaluation.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Annotated

import typer


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def evaluate_command(
    dataset: Annotated[Path | None, typer.Option("--dataset", help="interactions file")] = None,
    dataset_format: Annotated[
        str, typer.Option("--dataset-format", help="generic | movielens | groceries | lastfm")
    ] = "generic",
    train: Annotated[Path | None, typer.Option("--train", help="training file (own split)")] = None,
    test: Annotated[Path | None, typer.Option("--test", help="test file (own split)")] = None,
    output_format: Annotated[str, typer.Option("--format", help="table | csv")] = "table",
    k: Annotated[int, typer.Option("--k", help="cut-off for the metrics")] = 10,
    min_rating: Annotated[
        float | None,
        typer.Option(
            "--min-rating",
            help="movielens only: ratings at or above are positives (default: all ratings)",
        ),
    ] = None,
    test_fraction: Annotated[
        float,
        typer.Option(
            "--test-fraction",
            help="share held out (global: the cut-off is its 1 - share quantile of times)",
        ),
    ] = 0.2,
    split: Annotated[
        str,
        typer.Option(
            "--split",
            help="global (time cut-off) | per-user (each member's latest) | random "
            "(per-member random; the only one for data without times)",
        ),
    ] = "global",
    budget: Annotated[
        int | None,
        typer.Option("--budget", help="configurations tried per model and blends (default 48)"),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="random hold-out and sampling seed")] = 0,
    profiles: Annotated[
        Path | None,
        typer.Option("--profiles", help="side information: CSV user_id,income_band,region"),
    ] = None,
) -> None:
    """Tune every model alike on a validation split of the training part, then compare
    popularity (plain, time-decayed and at the member's time), sequential rules (data
    with times), item-kNN, user-kNN, implicit's cosine, BM25 and ALS, EASE and the hybrid
    on precision, recall, NDCG, MAP at k and coverage, with a paired bootstrap interval of
    the hybrid against the best other model and against the best of the issue's baselines."""
    # Here, not at the top: pandas and the models load only for this command.
    from recommender.data import FORMATS, load_dataset, load_profiles
    from recommender.errors import DataFormatError
    from recommender.evaluation import evaluate
    from recommender.model_search import DEFAULT_BUDGET
    from recommender.split import SPLITS, has_times, split_frame

    if dataset_format not in FORMATS:
        _fail(f"--dataset-format must be one of {', '.join(FORMATS)}")
    if output_format not in ("table", "csv"):
        _fail("--format must be table or csv")
    if k <= 0:
        _fail("--k must be positive")
    if split not in SPLITS:
        _fail(f"--split must be one of {', '.join(SPLITS)}")
    if budget is not None and budget <= 0:
        _fail("--budget must be positive")
    if not 0.0 < test_fraction < 1.0:
        _fail("--test-fraction must be between 0 and 1")
    if (train is None) != (test is None):
        _fail("--train and --test go together")
    if dataset is None and train is None:
        _fail("give --dataset FILE, or --train FILE --test FILE")
    options = {"min_rating": min_rating} if dataset_format == "movielens" else {}
    notes = []
    try:
        if train is not None:
            tr = load_dataset(train, dataset_format, **options)
            te = load_dataset(test, dataset_format, **options)
            notes += [
                f"train {tr.description}",
                f"test {te.description}",
                "split: given by --train/--test",
            ]
            train_frame, test_frame = tr.frame, te.frame
        else:
            data = load_dataset(dataset, dataset_format, **options)
            notes.append(data.description)
            if split != "random" and not has_times(data.frame):
                notes.append(f"the file has no times: --split {split} is impossible, using random")
                split = "random"
            notes.append(
                "split: "
                + SPLIT_WORDS[split].format(share=test_fraction, cut=1 - test_fraction, seed=seed)
            )
            train_frame, test_frame = split_frame(data.frame, split, test_fraction, seed)
        side = load_profiles(profiles) if profiles is not None else None
        if side is not None:
            notes.append(f"side information: {len(side):,} member profiles (income band, region)")
    except DataFormatError as exc:
        _fail(str(exc))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            report = evaluate(
                train_frame,
                test_frame,
                k=k,
                split=split,
                budget=budget or DEFAULT_BUDGET,
                random_state=seed,
                test_fraction=test_fraction,
                profiles=side,
            )
        except ValueError as exc:  # e.g. too little data to carve a validation split
            _fail(str(exc))
    for line in notes + report.notes:
        typer.echo(f"# {line}", err=output_format == "csv")
    if output_format == "csv":
        sys.stdout.write(report.table.to_csv(index=False, float_format="%.4f", lineterminator="\n"))
    else:
        typer.echo(f"test members: {report.members:,}")
        typer.echo(report.table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    for line in summary(report, k):
        typer.echo(f"# {line}", err=output_format == "csv")


SPLIT_WORDS = {
    "global": "global time cut-off at the {cut:.0%} quantile of interaction times: "
    "train before it, test = what members with training history did at or after it",
    "per-user": "each member's latest {share:.0%} of interactions (whole events) held out",
    "random": "a random {share:.0%} of each member's interactions held out (seed {seed})",
}


def summary(report, k: int) -> list[str]:
    """The hybrid against the best other model, in words."""
    iv = report.interval
    lines = [
        f"hybrid blend: {report.blend}",
        f"hybrid - {report.best_other} (best other model), NDCG@{k} over {iv.members:,} "
        f"members: {iv.mean:+.4f}, paired bootstrap 95% interval [{iv.low:+.4f}, {iv.high:+.4f}] "
        f"({iv.resamples:,} resamples): {iv.verdict}",
    ]
    listed = report.listed_interval
    if listed is not None:
        lines.append(
            f"second, not the headline: hybrid - {report.best_listed} (best of the issue's "
            f"listed baselines), NDCG@{k}: {listed.mean:+.4f} "
            f"[{listed.low:+.4f}, {listed.high:+.4f}]: {listed.verdict}"
        )
    return lines


def register(app: typer.Typer) -> None:
    """Add the ``evaluate`` command to refbot's main typer app."""
    app.command("evaluate")(evaluate_command)
