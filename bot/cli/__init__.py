"""The `refbot` command. Each module adds its subcommands through ``register(app)``."""

from __future__ import annotations

import importlib
import logging

import typer

app = typer.Typer(
    name="refbot",
    help="refbot: the loyalty and referral bot of a bank's partner network.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Subcommand modules, in the order their commands appear in --help.
_MODULES = (
    "bot.cli.core",
    "bot.cli.company",
    "bot.cli.apikeys",
    "bot.cli.crm",
    "bot.cli.ledger",
    "bot.cli.surveys",
    "bot.cli.offers",
    "bot.cli.leads",
    "bot.cli.analytics",
    "bot.cli.evaluate",
    "bot.cli.demo",
)


def _register_all() -> None:
    for name in _MODULES:
        importlib.import_module(name).register(app)


def main() -> None:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    _register_all()
    app()
