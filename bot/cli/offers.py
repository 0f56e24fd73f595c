"""`refbot train`, `refbot crossmatrix import FILE.csv`, `refbot offers show MEMBER`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import or_, select

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


@refusals_exit
def train_command(
    no_tune: bool = typer.Option(False, "--no-tune", help="Keep default hyperparameters (faster)."),
) -> None:
    from referral.offers.training import train

    async def run():  # type: ignore[no-untyped-def]
        settings = load_settings()
        async with services_for(settings) as services:
            return await train(settings.data_dir, services.db, tune=not no_tune)

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
    from referral.offers.crossmatrix import CrossMatrixService

    try:
        data = file.read_bytes()
    except OSError as error:
        raise fail(f"cannot read {file}: {error.strerror}") from None

    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            return await CrossMatrixService(services.db).import_csv(data)

    report = run_async(run())
    typer.echo(f"stored {report.links} link(s), replacing {report.replaced}")


@offers_app.command("show", help="The offers a member would get now (Telegram id or pseudonym).")
@refusals_exit
def offers_show(member: str = typer.Argument(..., help="Telegram id or pseudonym.")) -> None:
    from bot.offer_messages import money
    from referral.models import Member

    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            async with services.db() as session:
                telegram = int(member) if member.isdigit() else -1
                found = await session.scalar(
                    select(Member).where(
                        or_(Member.pseudonym == member.lower(), Member.telegram_id == telegram),
                        Member.erased_at.is_(None),
                    )
                )
            if found is None:
                raise fail(f"no member {member!r}")
            return found.pseudonym, await services.offers.offers_for(found.id)

    pseudonym, views = run_async(run())
    typer.echo(f"member {pseudonym}: {len(views)} offer(s)")
    for v in views:
        typer.echo(
            f"  #{v.offer_id} {v.company} / {v.service}: {money(v.price_minor)} RUB ({v.reason})"
        )
