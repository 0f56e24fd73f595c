"""`refbot company add`, `refbot qr`, `refbot grant`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from bot.cli.common import fail, load_settings, refusals_exit, run_async, services_for
from refbot.settings import Settings
from referral import links
from referral.qr import render_qr

company_app = typer.Typer(help="Partner companies.", no_args_is_help=True)


class ImageFormat(str, Enum):
    png = "png"
    svg = "svg"


def register(app: typer.Typer) -> None:
    app.add_typer(company_app, name="company")
    app.command("qr", help="Write a company's QR code (PNG or SVG).")(qr)
    app.command("grant", help="Give a Telegram user a role: admin, partner or marketer.")(grant)


@company_app.command("add", help="Register a partner company; prints its code.")
@refusals_exit
def company_add(
    name: str = typer.Argument(..., help="The company's display name."),
    code: str = typer.Option(None, "--code", help="Short code for links: a-z, 0-9, '-'."),
) -> None:
    async def add() -> str:
        async with services_for(load_settings()) as services:
            return (await services.companies.add(name, code)).code

    typer.echo(run_async(add()))


@company_app.command("list", help="List partner companies.")
@refusals_exit
def company_list() -> None:
    async def listing() -> list[tuple[str, str]]:
        async with services_for(load_settings()) as services:
            return [(c.code, c.name) for c in await services.companies.all()]

    for code, name in run_async(listing()):
        typer.echo(f"{code}\t{name}")


@refusals_exit
def qr(
    code: str = typer.Argument(..., help="The company code."),
    out: Path = typer.Option(None, "--out", help="Output file (default: DATA_DIR/qr/CODE.FORMAT)."),
    image_format: ImageFormat = typer.Option(ImageFormat.png, "--format", help="png or svg."),
) -> None:
    settings = load_settings()

    async def write() -> tuple[Path, str]:
        async with services_for(settings) as services:
            company = await services.companies.get(code)
        username = await bot_username(settings)
        link = links.deep_link(
            username, links.sign(links.LinkTarget(company.code), settings.link_key)
        )
        target = out or settings.data_dir / "qr" / f"{company.code}.{image_format.value}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(render_qr(link, image_format.value))
        return target, link

    target, link = run_async(write())
    typer.echo(f"{target}\n{link}")


@refusals_exit
def grant(
    role: str = typer.Argument(..., help="admin, partner or marketer."),
    telegram_id: int = typer.Argument(..., help="The user's numeric Telegram id."),
    company: str = typer.Option(None, "--company", help="Company code (required for partner)."),
) -> None:
    if not 0 < telegram_id < 2**63:
        raise fail("TELEGRAM_ID must be a positive 64-bit number")

    async def give() -> bool:
        async with services_for(load_settings()) as services:
            return await services.roles.grant(role, telegram_id, company)

    added = run_async(give())
    where = f" of {company}" if company else ""
    typer.echo(f"{telegram_id} is {role}{where}" + ("" if added else " (already)"))


async def bot_username(settings: Settings) -> str:
    """BOT_USERNAME, or the name getMe reports for BOT_TOKEN."""
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    if not settings.bot_token:
        raise fail("set BOT_USERNAME (or BOT_TOKEN, to ask Telegram) to build links")
    from bot.app import build_bot

    bot = build_bot(settings)
    try:
        return (await bot.me()).username or ""
    finally:
        await bot.session.close()
