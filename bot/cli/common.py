"""What every subcommand shares: settings, services, and how refusals are printed."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError

from refbot.settings import MissingToken, Settings
from referral.errors import DomainError

P = ParamSpec("P")
T = TypeVar("T")

USAGE_ERROR = 2


def fail(message: str, code: int = USAGE_ERROR) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper() or 'settings'}: {e['msg']}"
            for e in error.errors()
        )
        raise fail(f"invalid settings: {problems}") from None


def refusals_exit(func: Callable[P, T]) -> Callable[P, T]:
    """Domain refusals and a missing token become one line on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except (DomainError, MissingToken) as error:
            raise fail(str(error)) from None

    return wrapper


def run_async(coroutine: Awaitable[T]) -> T:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def services_for(settings: Settings) -> AsyncIterator[object]:
    """Services on a migrated database, disposed of on exit."""
    from migrations.runner import upgrade_async
    from refbot.services import build_services

    await upgrade_async(settings.database)
    services = build_services(settings)
    try:
        yield services
    finally:
        await services.close()


def echo_err(message: str) -> None:
    print(message, file=sys.stderr)
