"""`refbot crm connect|list|disconnect|reconcile|retry`: a partner's Bitrix24 or amoCRM."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

import typer

from bot.cli.common import fail, load_settings, refusals_exit, run_async, services_for
from refbot.settings import Settings

if TYPE_CHECKING:
    from referral.crm.connections import Connection
    from referral.crm.outbound import Unsent

crm_app = typer.Typer(help="A partner's CRM (Bitrix24, amoCRM) connected without code.")


class Kind(str, Enum):
    bitrix24 = "bitrix24"
    amocrm = "amocrm"


def register(app: typer.Typer) -> None:
    app.add_typer(crm_app, name="crm", no_args_is_help=True)


def public_base(settings: Settings) -> str:
    return settings.public_url or f"http://{settings.http_host}:{settings.http_port}"


@crm_app.command(
    "connect", help="Connect a CRM; prints, alone on the last line, the URL to paste into it."
)
@refusals_exit
def connect(
    code: str = typer.Argument(..., help="The company code."),
    kind: Kind = typer.Argument(..., help="bitrix24 or amocrm."),
    service: str = typer.Option(..., "--service", help="The catalogue service a won deal is."),
    portal_webhook: str = typer.Option(
        "", "--portal-webhook", help="Bitrix24: the incoming webhook URL (…/rest/1/KEY/)."
    ),
    application_token: str = typer.Option(
        "", "--application-token", help="Bitrix24: the outgoing webhook's application token."
    ),
    member_field: str = typer.Option(
        "", "--member-field", help="Bitrix24: the deal field holding the member code (UF_CRM_…)."
    ),
    subdomain: str = typer.Option("", "--subdomain", help="amoCRM: NAME of NAME.amocrm.ru."),
    token: str = typer.Option("", "--token", help="amoCRM: the integration's long-lived token."),
    member_field_id: int = typer.Option(
        0, "--member-field-id", help="amoCRM: id of the lead field holding the member code."
    ),
    api_base: str = typer.Option("", "--api-base", hidden=True),  # a local stub in tests
) -> None:
    from referral.crm.connections import amocrm_settings, bitrix24_settings

    if kind is Kind.bitrix24:
        if not (portal_webhook and application_token and member_field):
            raise fail("bitrix24 needs --portal-webhook, --application-token and --member-field")
        settings = bitrix24_settings(portal_webhook, application_token, member_field, service)
    else:
        if not (subdomain and token and member_field_id):
            raise fail("amocrm needs --subdomain, --token and --member-field-id")
        settings = amocrm_settings(subdomain, token, member_field_id, service, api_base)

    async def store() -> str:
        async with services_for(load_settings()) as services:
            return await services.crm.connect(code, kind.value, settings)

    path = run_async(store())
    typer.echo(f"{kind.value} connected for {code}; paste this URL into it (shown only now):")
    typer.echo(public_base(load_settings()) + path)


@crm_app.command(
    "list",
    help="A company's CRM connections (never their secrets), each with its leads not "
    "created there yet: pending or failed, with the CRM's last error.",
)
@refusals_exit
def listing(code: str = typer.Argument(..., help="The company code.")) -> None:
    async def read():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            connections = await services.crm.list(code)
            unsent = await services.crm_pushes.unsent([c.id for c in connections])
            return connections, unsent

    connections, unsent = run_async(read())
    for line in connection_lines(connections, unsent):
        typer.echo(line)


def connection_lines(connections: list[Connection], unsent: list[Unsent]) -> list[str]:
    """One line a connection, then one indented line per lead not created in it."""
    lines = []
    for connection in connections:
        service = connection.settings["service"]
        lines.append(
            f"{connection.kind}\t{connection.public_id}\tservice {service}\t"
            f"connected {connection.created_at:%Y-%m-%d %H:%M}"
        )
        for push in unsent:
            if push.connection_id != connection.id:
                continue
            when = "" if push.status != "pending" else f"next {push.next_attempt_at:%H:%M}\t"
            error = push.last_error or "not tried yet"
            lines.append(
                f"  lead {push.lead_id}\t{push.status}\tattempts {push.attempts}\t{when}{error}"
            )
    return lines


@crm_app.command("disconnect", help="Remove a company's CRM connection; its URL stops working.")
@refusals_exit
def disconnect(
    code: str = typer.Argument(..., help="The company code."),
    kind: Kind = typer.Argument(..., help="bitrix24 or amocrm."),
) -> None:
    async def drop() -> None:
        async with services_for(load_settings()) as services:
            await services.crm.disconnect(code, kind.value)

    run_async(drop())
    typer.echo(f"{kind.value} disconnected from {code}")


@crm_app.command("reconcile", help="Read followed deals back from the CRMs now (one pass).")
@refusals_exit
def reconcile_now() -> None:
    from referral.crm.reconcile import reconcile

    async def run():  # type: ignore[no-untyped-def]
        async with services_for(load_settings()) as services:
            return await reconcile(services.crm_inbound)

    report = run_async(run())
    typer.echo(f"events retried: {report.events}, deals closed: {report.closed}")


@crm_app.command(
    "retry", help="Queue a company's failed CRM pushes again (after fixing the connection)."
)
@refusals_exit
def retry(
    code: str = typer.Argument(..., help="The company code."),
    kind: Kind | None = typer.Argument(None, help="Only this CRM (bitrix24 or amocrm)."),
) -> None:
    async def requeue() -> int:
        async with services_for(load_settings()) as services:
            connections = await services.crm.list(code)
            wanted = [c.id for c in connections if kind is None or c.kind == kind.value]
            return await services.crm_pushes.requeue(wanted)

    count = run_async(requeue())
    typer.echo(f"{count} failed CRM pushes of {code} queued again (sent within 30 s)")


@crm_app.command(
    "rotate-secret",
    help="Seal every stored CRM secret again under a new key, in one transaction. With "
    "CRM_SECRET set, the new key is CRM_SECRET and CRM_SECRET_OLD the one it replaces "
    "(both open secrets meanwhile); otherwise a new random key goes first in "
    "DATA_DIR/crm_secret, and the old one is dropped once nothing is sealed under it.",
)
@refusals_exit
def rotate_secret() -> None:
    from referral.crm.vault import new_key

    settings = load_settings()
    if settings.crm_secret:
        resealed, left = run_async(_reseal(settings, settings.crm_key))
        typer.echo(f"{resealed} CRM connections sealed again under CRM_SECRET")
        if not settings.crm_secret_old:
            typer.echo("CRM_SECRET_OLD is not set: the key is the one they were under")
        elif not left:
            typer.echo("nothing is sealed under CRM_SECRET_OLD now: it may be unset")
    else:
        fresh = new_key()
        settings.write_crm_keys([fresh, *settings.crm_keys()])  # the old keys still open
        resealed, left = run_async(_reseal(settings, fresh))
        if not left:
            settings.write_crm_keys([fresh])
        typer.echo(
            f"{resealed} CRM connections sealed again under a new key in DATA_DIR/crm_secret"
        )
    if left:
        typer.echo(
            f"still under an older key (connected during the rotation?): {', '.join(left)}; "
            "the older keys stay accepted: run rotate-secret again"
        )


async def _reseal(settings: Settings, key: bytes) -> tuple[int, list[str]]:
    async with services_for(settings) as services:
        resealed = await services.crm.reseal()
        return resealed, await services.crm.not_sealed_under(key)
