"""`refbot apikey create|list|revoke`: a partner's keys for the HTTP API."""

from __future__ import annotations

import typer

from bot.cli.common import load_settings, refusals_exit, run_async, services_for
from referral.apikeys import KeyInfo

apikey_app = typer.Typer(help="A partner's API keys (Authorization: Bearer <key>).")


def register(app: typer.Typer) -> None:
    app.add_typer(apikey_app, name="apikey", no_args_is_help=True)


def _line(info: KeyInfo) -> str:
    state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "active"
    return f"{info.public_id}\t{info.name}\tcreated {info.created_at:%Y-%m-%d %H:%M}\t{state}"


@apikey_app.command("create", help="A new key; printed once, alone on the last line.")
@refusals_exit
def create(
    company: str = typer.Option(..., "--company", help="The company code."),
    name: str = typer.Option("", "--name", help="What the key is for, e.g. the CRM's name."),
) -> None:
    async def make() -> tuple[KeyInfo, str]:
        async with services_for(load_settings()) as services:
            return await services.apikeys.create(company, name)

    info, key = run_async(make())
    typer.echo(f"key {info.public_id} ({info.name}) for {company}; it is shown only now:")
    typer.echo(key)


@apikey_app.command("list", help="A company's keys (ids and names, never the keys).")
@refusals_exit
def listing(company: str = typer.Option(..., "--company", help="The company code.")) -> None:
    async def read() -> list[KeyInfo]:
        async with services_for(load_settings()) as services:
            return await services.apikeys.list(company)

    for info in run_async(read()):
        typer.echo(_line(info))


@apikey_app.command("revoke", help="Revoke a key by its id (from `apikey list`).")
@refusals_exit
def revoke(key_id: str = typer.Argument(..., help="The key's id, e.g. k3f9a2b1c0d.")) -> None:
    async def do() -> KeyInfo:
        async with services_for(load_settings()) as services:
            return await services.apikeys.revoke(key_id)

    typer.echo(_line(run_async(do())))
