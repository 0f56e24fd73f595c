"""`refbot leads run`, `refbot leads CODE [--status S]`, `refbot webhook set CODE URL`."""

from __future__ import annotations

from datetime import timedelta

import typer

from bot.cli.common import fail, load_settings, refusals_exit, run_async, services_for

webhook_app = typer.Typer(help="A partner's lead webhook.", no_args_is_help=True)


RUN = "run"
BUSY = 3  # exit code: another pass holds the pipeline's lease


def register(app: typer.Typer) -> None:
    app.command(
        "leads",
        help="`leads run`: one pipeline pass now (offers go out through BOT_TOKEN); "
        "`leads CODE [--status S]`: a company's leads in every state, newest first.",
    )(leads_command)
    app.add_typer(webhook_app, name="webhook")


@refusals_exit
def leads_command(
    target: str = typer.Argument(..., help="`run`, or a company's code."),
    status: str | None = typer.Option(None, "--status", help="Only leads in this state."),
) -> None:
    if target == RUN:
        leads_run()
    else:
        leads_list(target, status)


def leads_run() -> None:
    from referral.leads.pipeline import PIPELINE_LEASE
    from referral.leases import HOLD_SHARE, Holder

    async def run():  # type: ignore[no-untyped-def]
        from bot.app import build_bot
        from bot.jobs.leads import BotLeadSender

        settings = load_settings()
        settings.require_token()  # before the lease: a run that cannot send takes no tick
        async with services_for(settings) as services:
            # The scheduled pass's own lease: a pass now counts as this tick, and
            # never runs beside one that a bot process is running.
            hold = timedelta(minutes=settings.lead_pipeline_minutes) * HOLD_SHARE
            if await services.leases.take(PIPELINE_LEASE, hold) is None:
                return await services.leases.holder(PIPELINE_LEASE) or Holder("?", None)
            bot = build_bot(settings)
            try:
                report = await services.lead_pipeline.run(BotLeadSender(bot, services.members))
                await services.webhooks.drain()
            finally:
                await bot.session.close()
            return report

    done = run_async(run())
    if isinstance(done, Holder):
        until = f" until {done.until:%Y-%m-%d %H:%M:%S} UTC" if done.until else ""
        raise fail(
            f"another pipeline pass holds the lease {PIPELINE_LEASE!r} ({done.owner}){until}; "
            "nothing was run: try again after that",
            BUSY,
        )
    typer.echo(f"pass done: {done}")


def leads_list(code: str, status: str | None) -> None:
    from referral.leads.states import STATES

    if status is not None and status not in STATES:
        raise fail(f"--status must be one of {', '.join(STATES)}")

    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            company = await services.companies.get(code)
            return await services.leads.of_company(company.id, status)

    rows = run_async(run())
    if not rows:
        typer.echo("no leads")
    for lead in rows:
        p = f"p={lead.probability:.2f}" if lead.probability is not None else "p=-"
        typer.echo(
            f"#{lead.id}\t{lead.status}\t{lead.created_at:%Y-%m-%d %H:%M}"
            f"\tservice {lead.service_id or '-'}\tmember {lead.member_id}\t{p}"
        )


@webhook_app.command("set", help="Point CODE's lead webhook at URL; prints the signing secret.")
@refusals_exit
def webhook_set(
    code: str = typer.Argument(..., help="The company's code."),
    url: str = typer.Argument(..., help="http(s) URL that receives signed POSTs."),
) -> None:
    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            company = await services.companies.get(code)
            return await services.webhooks.set_endpoint(company.id, url)

    secret = run_async(run())
    typer.echo("Signed with Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).")
    typer.echo("Signing secret (shown once):")
    typer.echo(secret)
