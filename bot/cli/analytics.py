"""`refbot analytics refresh`: bring the workspace's figures up to date now."""

from __future__ import annotations

import typer

from bot.cli.common import load_settings, refusals_exit, run_async, services_for

analytics_app = typer.Typer(help="The workspace's analytics.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(analytics_app, name="analytics")


@analytics_app.command(
    "refresh", help="Read new and reversed purchases into the rollup, then rebuild every snapshot."
)
@refusals_exit
def refresh_command() -> None:
    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            return await services.analytics_job.run()

    report = run_async(run())
    typer.echo(
        f"rollup: {report.rollup.purchases_read} purchases read, "
        f"{report.rollup.member_days} member-days written"
        f"{' (full rebuild)' if report.rollup.full else ''}; "
        f"snapshots: {report.snapshots} companies"
    )
