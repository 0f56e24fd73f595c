"""`refbot train`, `refbot crossmatrix import FILE.csv`, `refbot offers show MEMBER`,
`refbot offers threshold CODE FLOOR`, `refbot stats CODE`."""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail, load_settings, refusals_exit, run_async, services_for

crossmatrix_app = typer.Typer(
    help="The operator's cross-service matrix (cold start).", no_args_is_help=True
)
offers_app = typer.Typer(help="Personal offers.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("train", help="Train the offer models on the database's history and save them.")(
        train_command
    )
    app.add_typer(crossmatrix_app, name="crossmatrix")
    app.add_typer(offers_app, name="offers")
    app.command("stats", help="A company's members, leads, conversion, ARPPU, check, retention.")(
        stats_command
    )


@refusals_exit
def train_command(
    no_tune: bool = typer.Option(False, "--no-tune", help="Keep default hyperparameters (faster)."),
) -> None:
    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            return await services.trainer.train(tune=not no_tune)

    report = run_async(run())
    typer.echo(f"trained version {report.version} into {report.directory}")
    for part, meta in report.trained.items():
        typer.echo(f"  {part}: {json.dumps(meta, default=str, ensure_ascii=False)}")
    for part, reason in report.skipped.items():
        typer.echo(f"  skipped {part}: {reason}")


@crossmatrix_app.command(
    "import", help="Replace the links: company_a,service_a,company_b,service_b,weight."
)
@refusals_exit
def crossmatrix_import(file: Annotated[Path, typer.Argument(help="The CSV file.")]) -> None:
    try:
        data = file.read_bytes()
    except OSError as error:
        raise fail(f"cannot read {file}: {error.strerror}") from None

    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            return await services.crossmatrix.import_csv(data)

    report = run_async(run())
    typer.echo(f"stored {report.links} link(s), replacing {report.replaced}")


@offers_app.command("show", help="The offers a member would get now (Telegram id or pseudonym).")
@refusals_exit
def offers_show(member: str = typer.Argument(..., help="Telegram id or pseudonym.")) -> None:
    from bot.messages.offers import money

    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            found = await services.members.find(member)
            return found.pseudonym, await services.offers.offers_for(found.id)

    pseudonym, views = run_async(run())
    typer.echo(f"member {pseudonym}: {len(views)} offer(s)")
    for v in views:
        typer.echo(
            f"  #{v.offer_id} {v.company} / {v.service}: {money(v.price_minor)} RUB ({v.reason})"
        )


@offers_app.command(
    "threshold",
    help="Set a company's relevance floor: offers whose calibrated probability "
    "is under it are not shown.",
)
@refusals_exit
def offers_threshold(
    code: str = typer.Argument(..., help="The company's code."),
    floor: float = typer.Argument(..., help="The probability floor, 0-1 (0: no floor)."),
) -> None:
    if not math.isfinite(floor) or floor < 0:
        raise fail(f"the floor must be a number, 0 or more; got {floor}")

    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            company = await services.companies.get(code)
            await services.offers.set_threshold(company.id, floor)
            return company

    company = run_async(run())
    typer.echo(f"relevance floor of {company.code}: {floor:g}")


@refusals_exit
def stats_command(
    code: str = typer.Argument(..., help="The company's code."),
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Also write the chart (PNG) here.")
    ] = None,
) -> None:
    from bot.messages.stats import stats_chart, stats_text
    from bot.texts import texts_for

    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            return await services.partner_stats.of_code(code)

    report = run_async(run())
    texts = texts_for("en")
    # The bot's words, without the chat's HTML.
    typer.echo(html.unescape(re.sub(r"</?b>", "", stats_text(texts, report))))
    if chart is not None:
        try:
            chart.write_bytes(stats_chart(texts, report))
        except OSError as error:
            raise fail(f"cannot write {chart}: {error.strerror}") from None
        typer.echo(f"chart: {chart}")
