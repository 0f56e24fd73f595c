"""Building the demo's template: migrations, the seeded network (seed.py) and
the trained models, in a process of its own.

`python -m bot.demo.build TEMPLATE MEMBERS LINK_SECRET` is what world.py
starts on the first run: the build takes one core while the demo's own
process loads the bot's stack (aiogram, FastAPI, the routers: some 3 s of
imports) on the other. Each phase prints its seconds; the folder is marked
``complete`` only at the end, so a build cut short is never copied.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.demo.seed import seed
from bot.demo.world import DATABASE, complete
from migrations.runner import upgrade_async
from refbot.services import build_services
from refbot.settings import Settings
from referral.offers.training import train


async def build(
    template: Path, members: int, link_secret: str, echo: Callable[[str], None]
) -> None:
    for old in template.parent.glob("template-*"):
        shutil.rmtree(old, ignore_errors=True)
    template.mkdir(parents=True)
    url = f"sqlite+aiosqlite:///{(template / DATABASE).resolve()}"
    phase = time.perf_counter()
    await upgrade_async(url)
    settings = Settings(
        _env_file=None,
        bot_token="123456789:demo-template",
        database_url=url,
        data_dir=template,
        link_secret=link_secret,
    )
    services = build_services(settings)
    try:
        echo(f"  database schema ({_since(phase)})")
        phase = time.perf_counter()
        report = await seed(services, members=members)
        echo(
            f"  {report.companies} partners, {report.members} members "
            f"({report.drifting} drifting away), {report.purchases} purchases ({_since(phase)})"
        )
        phase = time.perf_counter()
        trained = await train(template, services.db, tune=False)
        echo(
            f"  trained offer models v{trained.version}: {', '.join(trained.trained)} "
            f"({_since(phase)})"
        )
    finally:
        await services.close()
    complete(template).touch()


def _since(started: float) -> str:
    return f"{time.perf_counter() - started:.1f} s"


def main(argv: list[str]) -> None:
    template, members, link_secret = Path(argv[0]), int(argv[1]), argv[2]
    asyncio.run(build(template, members, link_secret, lambda line: print(line, flush=True)))


if __name__ == "__main__":
    main(sys.argv[1:])
