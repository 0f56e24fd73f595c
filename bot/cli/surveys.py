"""`refbot survey create|send|list|results`: the CLI only stores and queues; the bot sends."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from bot.cli.common import fail, load_settings, refusals_exit, run_async, services_for
from referral.surveys.spec import load_spec

survey_app = typer.Typer(help="Surveys for members.", no_args_is_help=True)


class Format(str, Enum):
    table = "table"
    csv = "csv"


def register(app: typer.Typer) -> None:
    app.add_typer(survey_app, name="survey")


@survey_app.command("create", help="Validate and store a survey from YAML; prints its id last.")
@refusals_exit
def create(file: Path = typer.Argument(..., help="The survey file (YAML).")) -> None:
    if not file.is_file():
        raise fail(f"no such file: {file}")
    spec = load_spec(file.read_text(encoding="utf-8"))

    async def store() -> tuple[int, int]:
        async with services_for(load_settings()) as services:
            survey_id = await services.surveys.create(spec)
            return survey_id, await services.surveys.audience_size(spec.company, spec.segment)

    survey_id, size = run_async(store())
    typer.echo(f"{spec.title!r}: {len(spec.questions)} questions, reaches {size} members")
    typer.echo(survey_id)


@survey_app.command(
    "send",
    help="Queue a survey for delivery by the running bot: now, even in quiet hours "
    "if it has no send_at; a scheduled one waits for its time and the end of quiet hours.",
)
@refusals_exit
def send(survey_id: int = typer.Argument(...)) -> None:
    async def queue() -> int:
        async with services_for(load_settings()) as services:
            return await services.surveys.queue(survey_id)

    typer.echo(f"survey {survey_id}: {run_async(queue())} members queued")


@survey_app.command("list", help="List surveys with their delivery counts.")
@refusals_exit
def listing() -> None:
    async def read() -> list[tuple[int, str, str, dict[str, int]]]:
        async with services_for(load_settings()) as services:
            return [
                (s.id, s.title, s.status, await services.surveys.progress(s.id))
                for s in await services.surveys.all()
            ]

    for survey_id, title, status, c in run_async(read()):
        typer.echo(
            f"{survey_id}\t{status}\t{title}\tqueued={c['queued']} sent={c['sent']} "
            f"unreachable={c['unreachable']} failed={c['failed']} "
            f"in_doubt={c['in_doubt']} answered={c['answered']}"
        )


@survey_app.command("results", help="Results as a table, or CSV (pseudonyms only).")
@refusals_exit
def results(
    survey_id: int = typer.Argument(...),
    out_format: Format = typer.Option(Format.table, "--format"),
    out: Path = typer.Option(None, "--out", help="Write to this file instead of stdout."),
) -> None:
    async def read():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            return await services.survey_results.results(survey_id)

    found = run_async(read())
    if out_format == Format.csv:
        text = found.csv()
    else:
        lines = [f"{found.survey.title}: {found.respondents} answered"]
        for q in found.questions:
            lines.append(f"{q.question.position + 1}. {q.question.text} ({q.answered} answers)")
            lines += [f"  {label}: {n} ({pct}%)" for label, n, pct in q.counts]
            if q.mean is not None:
                lines.append(f"  mean: {q.mean:.2f}")
            lines += [f"  - {t}" for t in q.texts]
        text = "\n".join(lines) + "\n"
    if out is not None:
        out.write_text(text, encoding="utf-8")
        typer.echo(str(out))
    else:
        typer.echo(text, nl=False)
