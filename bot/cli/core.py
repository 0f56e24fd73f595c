"""`refbot run`, `refbot api` and `refbot migrate`."""

from __future__ import annotations

import asyncio
import logging

import typer

from bot.cli.common import fail, load_settings, refusals_exit
from refbot.settings import MissingToken, Settings


def register(app: typer.Typer) -> None:
    app.command("run", help="Apply migrations and start the bot (polling, or webhook when set).")(
        run
    )
    app.command("migrate", help="Bring the database schema to the latest migration.")(migrate)
    app.command("api", help="Apply migrations and serve only the HTTP part (no bot, no token).")(
        api
    )


@refusals_exit
def migrate() -> None:
    from migrations.runner import upgrade

    settings = load_settings()
    upgrade(settings.database)
    typer.echo(f"database is at the latest migration ({_safe(settings.database)})")


def run() -> None:
    settings = load_settings()
    logging.getLogger().setLevel(settings.log_level.upper())
    try:
        settings.require_token()
    except MissingToken as error:
        raise fail(str(error)) from None
    from migrations.runner import upgrade

    upgrade(settings.database)
    asyncio.run(serve(settings))


async def serve(settings: Settings) -> None:
    """The bot and the HTTP app in one event loop until SIGINT or SIGTERM."""
    from bot.app import build_bot, build_dispatcher
    from bot.runner import prepare_heap_for_serving, serve_bot_and_http
    from refbot.services import build_services
    from web.app import build_http_app
    from web.server import stop_on_signals

    services = build_services(settings)
    bot = build_bot(settings)
    dp = build_dispatcher(services)
    app = build_http_app(services)
    prepare_heap_for_serving()
    try:
        await serve_bot_and_http(bot, dp, app, settings, stop_on_signals())
    finally:
        await bot.session.close()
        await services.close()


def api() -> None:
    settings = load_settings()
    logging.getLogger().setLevel(settings.log_level.upper())
    from migrations.runner import upgrade

    upgrade(settings.database)
    asyncio.run(serve_http_only(settings))


async def serve_http_only(settings: Settings) -> None:
    from refbot.services import build_services
    from web.app import build_http_app
    from web.server import serving, stop_on_signals

    services = build_services(settings)
    stop = stop_on_signals()
    try:
        async with serving(build_http_app(services), settings.http_host, settings.http_port):
            typer.echo(f"serving HTTP on {settings.http_host}:{settings.http_port}", err=True)
            await stop.wait()
    finally:
        await services.close()


def _safe(url: str) -> str:
    """A database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
