"""`refbot ledger check`, `refbot rules`, `refbot purchases import`,
`refbot voucher redeem`, `refbot catalog import`, `refbot deposit`."""

from __future__ import annotations

import secrets
from pathlib import Path

import typer

from bot.cli.common import fail, load_settings, refusals_exit, run_async, services_for
from referral.ledger.bookkeeping_models import CURRENCIES, POINTS

ledger_app = typer.Typer(help="The points and cashback ledger.", no_args_is_help=True)
rules_app = typer.Typer(help="Earning rules per company.", no_args_is_help=True)
purchases_app = typer.Typer(help="Purchases reported by partners.", no_args_is_help=True)
voucher_app = typer.Typer(help="Vouchers members spend points with.", no_args_is_help=True)
catalog_app = typer.Typer(help="Partner services and outlets.", no_args_is_help=True)
bundle_app = typer.Typer(help="Bundles: services cheaper together.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(rules_app, name="rules")
    app.add_typer(purchases_app, name="purchases")
    app.add_typer(voucher_app, name="voucher")
    app.add_typer(catalog_app, name="catalog")
    app.add_typer(bundle_app, name="bundle")
    app.command(
        "deposit", help="Top up a partner's liability deposit (points, or cashback kopecks)."
    )(deposit)


@ledger_app.command("check", help="Verify every ledger invariant; exit 1 on a violation.")
@refusals_exit
def ledger_check() -> None:
    async def run() -> list[str]:
        async with services_for(load_settings()) as services:
            return await services.ledger_check.run()

    problems = run_async(run())
    for problem in problems:
        typer.echo(f"violation: {problem}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("ledger ok: balances equal postings, transfers balance, no overdraft")


@rules_app.command("set", help="Set rules: refbot rules set CODE invite_points=50 cashback=5 ...")
@refusals_exit
def rules_set(
    company: str = typer.Argument(..., help="The company code."),
    pairs: list[str] = typer.Argument(None, help="key=value pairs (see `refbot rules keys`)."),
    file: Path = typer.Option(None, "--file", help="A file of key=value lines."),
) -> None:
    lines = list(pairs or [])
    if file is not None:
        lines += [
            ln.strip()
            for ln in file.read_text().splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")
        ]
    if not lines or any("=" not in ln for ln in lines):
        raise fail("give rules as key=value, e.g. invite_points=50 cashback=2.5")
    values = dict(ln.split("=", 1) for ln in lines)
    values = {k.strip(): v.strip() for k, v in values.items()}

    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            return await services.loyalty.rules.set(company, values)

    typer.echo(_describe(run_async(run())))


@rules_app.command("show", help="Show a company's rules.")
@refusals_exit
def rules_show(company: str = typer.Argument(..., help="The company code.")) -> None:
    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            found = await services.companies.get(company)
            return await services.loyalty.rules.get(found.id)

    typer.echo(_describe(run_async(run())))


def _describe(rules) -> str:  # type: ignore[no-untyped-def]
    ttl = "never" if rules.points_ttl_days is None else f"{rules.points_ttl_days} days"
    bp = rules.cashback_bp
    return "\n".join(
        [
            f"invite_points={rules.invite_points}",
            f"review_points={rules.review_points}",
            f"survey_points={rules.survey_points}",
            f"purchase_points={rules.purchase_points}",
            f"cashback={bp // 100}.{bp % 100:02d}%",
            f"points_ttl_days={ttl}",
            f"return_window_days={rules.return_window_days}",
            f"voucher_ttl_hours={rules.voucher_ttl_hours}",
            f"point_value={rules.point_value_minor}",
            f"invite_daily_cap={rules.invite_daily_cap}",
            f"invite_total_cap={rules.invite_total_cap}",
            f"require_phone={'yes' if rules.require_phone else 'no'}",
        ]
    )


@purchases_app.command("import", help="Import a partner's purchases CSV (all rows or none).")
@refusals_exit
def purchases_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The CSV file."),
    company: str = typer.Option(..., "--company", help="The company code."),
) -> None:
    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            return await services.loyalty.purchases.import_csv(company, file.read_bytes())

    report = run_async(run())
    typer.echo(f"added {report.added}, reversed {report.reversed}, unchanged {report.unchanged}")


@catalog_app.command("import", help="Import a partner's services CSV (all rows or none).")
@refusals_exit
def catalog_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The CSV file."),
    company: str = typer.Option(..., "--company", help="The company code."),
) -> None:
    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            return await services.loyalty.catalog.import_csv(company, file.read_bytes())

    report = run_async(run())
    typer.echo(f"services changed {report.services}, outlets changed {report.outlets}")


@bundle_app.command(
    "add",
    help="Define a bundle: refbot bundle add CODE --company ACME "
    "--services latte,croissant --discount 15 (again: redefine).",
)
@refusals_exit
def bundle_add(
    code: str = typer.Argument(..., help="The bundle code."),
    company: str = typer.Option(..., "--company", help="The company code."),
    services: str = typer.Option(..., "--services", help="Service codes, comma-separated."),
    discount: int = typer.Option(..., "--discount", help="Percent off when bought together."),
    name: str = typer.Option("", "--name", help="What members see (default: the code)."),
) -> None:
    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as found:
            return await found.loyalty.bundles.define(
                company, code, services.split(","), discount, name
            )

    done = run_async(run())
    typer.echo(
        f"bundle {done.code} {'added' if done.created else 'redefined'}: "
        f"{', '.join(done.services)} together {done.discount_percent}% cheaper"
    )


@voucher_app.command("redeem", help="Redeem a member's voucher code (posts its points).")
@refusals_exit
def voucher_redeem(code: str = typer.Argument(..., help="The voucher code.")) -> None:
    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            return await services.loyalty.vouchers.redeem(code, "cli", None)

    done = run_async(run())
    typer.echo(
        f"redeemed {done.code}: {done.points} points for {done.service} (member {done.member_code})"
    )


@refusals_exit
def deposit(
    company: str = typer.Argument(..., help="The company code."),
    amount: int = typer.Argument(..., help="Points, or kopecks with --currency cashback."),
    currency: str = typer.Option(POINTS, "--currency", help="points or cashback."),
    key: str = typer.Option(None, "--key", help="Idempotency key (default: a new one)."),
) -> None:
    if currency not in CURRENCIES or amount <= 0:
        raise fail("AMOUNT must be above zero and --currency points or cashback")

    async def run() -> bool:
        async with services_for(load_settings()) as services:
            found = await services.companies.get(company)
            return await services.ledger.deposit(
                found.id, amount, key or f"deposit:{secrets.token_hex(8)}", currency
            )

    done = run_async(run())
    typer.echo(f"deposited {amount} {currency} for {company}" + ("" if done else " (already)"))
