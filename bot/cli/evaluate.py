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
        str, typer.Option("--dataset-format", help="generic | movielens | groceries")
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
        typer.Option("--test-fraction", help="share of each user's latest interactions held out"),
    ] = 0.2,
) -> None:
    """Hold out each user's latest interactions; compare popularity, item-kNN, user-kNN,
    the hybrid and implicit's ItemItem cosine and BM25 on precision, recall, NDCG, MAP
    at k and catalogue coverage."""
    # Here, not at the top: pandas and the models load only for this command.
    from recommender.data import FORMATS, load_dataset
    from recommender.errors import DataFormatError
    from recommender.evaluation import evaluate
    from recommender.split import time_split

    if dataset_format not in FORMATS:
        _fail(f"--dataset-format must be one of {', '.join(FORMATS)}")
    if output_format not in ("table", "csv"):
        _fail("--format must be table or csv")
    if k <= 0:
        _fail("--k must be positive")
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
            notes += [
                data.description,
                f"split: each user's latest {test_fraction:.0%} of interactions "
                "(whole events) held out; see docs/recommender.md",
            ]
            train_frame, test_frame = time_split(data.frame, test_fraction)
    except DataFormatError as exc:
        _fail(str(exc))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = evaluate(train_frame, test_frame, k=k)
    for line in notes + report.notes:
        typer.echo(f"# {line}", err=output_format == "csv")
    if output_format == "csv":
        sys.stdout.write(report.table.to_csv(index=False, float_format="%.4f", lineterminator="\n"))
    else:
        typer.echo(report.table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


def register(app: typer.Typer) -> None:
    """Add the ``evaluate`` command to refbot's main typer app."""
    app.command("evaluate")(evaluate_command)
