"""`refbot run` and `refbot migrate`."""

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
    from bot.app import build_bot, build_dispatcher
    from bot.runner import prepare_heap_for_serving, run_polling, run_webhook
    from refbot.services import build_services

    services = build_services(settings)
    bot = build_bot(settings)
    dp = build_dispatcher(services)
    prepare_heap_for_serving()
    try:
        if settings.webhook_url:
            await run_webhook(bot, dp, settings)
        else:
            await run_polling(bot, dp)
    finally:
        await bot.session.close()
        await services.close()


def _safe(url: str) -> str:
    """A database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
