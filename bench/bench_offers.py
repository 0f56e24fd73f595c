"""/offers at constant cost: /offers handled per second through the local Bot
API server on a nearly empty database and on a large one, in the same run,
with p50/p99 latency; then the /start -> Accept -> /offers flow of many new
users beside a bare aiogram echo bot answering the same number of updates.

    python bench/bench_offers.py [--users 1000] [--latency 200] [--rounds 3]
                                 [--data-dir data/bench] [--postgres] [--only offers|flow]

The large database (bench/offers_data.py: 1,000,000 purchases, 100,000
members, 5,000 services) is generated once with bulk inserts and kept under
--data-dir; each run serves from a copy. With --postgres every table is
also run on the local PostgreSQL: the same rows, copied in with COPY once a
run into a template database each round clones. As bench/bench_updates.py does, the
Bot API server runs in its own process, started afresh for every bot, and
every bot runs in a fresh interpreter. No recommender model is trained on
either database: offers come from the cross-service links and popularity
counted from purchases (what serves until the first `refbot train`).

Throughput: --users members send /offers at once; each answer is four
messages (a header and three offers). Latency: --latency other members send
/offers one after another, each timed from the update's arrival at the server
to the last of its four messages there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from bench_updates import (  # noqa: E402
    TOKEN,
    Control,
    bot_api_process,
    consent_steps,
    echo_rate,
    measured,
    new_users,
    polling,
    user,
)
from floor_bot import OFFERS_SHOWN, floor_bot, floor_dispatcher  # noqa: E402
from offers_data import (  # noqa: E402
    TELEGRAM_BASE,
    database,
    postgres_clone,
    postgres_drop,
    postgres_template,
    scaled,
    small,
)

from tests.services import PG_ADMIN_URL  # noqa: E402

MESSAGES_PER_OFFERS = 1 + OFFERS_SHOWN  # the header and three offers


@dataclass(frozen=True)
class Result:
    updates: int
    seconds: float
    latencies_ms: list[float]
    cpu_seconds: float = float("nan")  # the bot's process (and its small control client)

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def offers_burst(control: Control, first: int, users: int) -> Result:
    ids = [TELEGRAM_BASE + first + i for i in range(users)]
    rates = []
    with measured(users, rates):
        await control.texts([{"user": user(i), "text": "/offers"} for i in ids])
        await control.until_delivered(MESSAGES_PER_OFFERS * users)
    return Result(users, rates[0].seconds, [])


async def offers_one_by_one(control: Control, first: int, users: int) -> list[float]:
    latencies = []
    for i in range(users):
        before = await control.delivered()
        began = time.perf_counter()
        await control.texts([{"user": user(TELEGRAM_BASE + first + i), "text": "/offers"}])
        while await control.delivered() < before + MESSAGES_PER_OFFERS:
            await asyncio.sleep(0.0005)
        latencies.append(1000 * (time.perf_counter() - began))
    return latencies


async def flow(control: Control, users: int, payload: str) -> Result:
    """New users: /start <payload>, Accept on the consent, then /offers."""
    ids = new_users(users)
    base = await control.delivered()  # messages of a warm-up, if any
    rates = []
    with measured(3 * users, rates):
        await consent_steps(control, ids, payload, base)
        await control.texts([{"user": user(i), "text": "/offers"} for i in ids])
        await control.until_delivered(base + users + MESSAGES_PER_OFFERS * users)
    return Result(3 * users, rates[0].seconds, [], rates[0].cpu_seconds)


async def refbot_role(role: str, api_url: str, url: str, args: argparse.Namespace) -> Result:
    from bot.app import build_bot, build_dispatcher
    from refbot.services import build_services
    from refbot.settings import Settings
    from referral import links

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            bot_token=f"{10**9 + time.time_ns() % 10**9}:bench-token",
            telegram_api_url=api_url,
            database_url=url,
            data_dir=Path(tmp),
            link_secret="bench",
        )
        services = build_services(settings)
        bot, dp = build_bot(settings), build_dispatcher(services)
        control = Control(aiohttp.ClientSession(), api_url)
        try:
            await control.clear()
            async with polling(bot, dp):
                # The first /offers builds the shared state; serving is measured after it.
                await offers_one_by_one(control, args.users + args.latency, 1)
                if role == "flow":
                    payload = links.sign(links.LinkTarget("co1"), b"bench")
                    return await flow(control, args.users, payload)
                burst = await offers_burst(control, 0, args.users)
                latencies = await offers_one_by_one(control, args.users, args.latency)
                return Result(burst.updates, burst.seconds, latencies)
        finally:
            await control.http.close()
            await services.close()


async def same_calls_role(api_url: str, users: int) -> Result:
    """The floor (bench/floor_bot.py): refbot's Bot API calls for the flow alone."""
    from referral import links

    bot, dp = floor_bot(TOKEN, api_url), floor_dispatcher(offers=True)
    async with aiohttp.ClientSession() as http:
        control = Control(http, api_url)
        await control.clear()
        async with polling(bot, dp):
            return await flow(control, users, links.sign(links.LinkTarget("floor"), b"k"))


async def echo_role(api_url: str, updates: int) -> Result:
    async with aiohttp.ClientSession() as http:
        rate = await echo_rate(Control(http, api_url), api_url, updates, "stock")
    return Result(rate.updates, rate.seconds, [], rate.cpu_seconds)


ROLES = ("offers-small", "offers-large", "flow", "same-calls", "echo")


def run_role(role: str, api_url: str, url: str | None, args: argparse.Namespace) -> Result:
    if role == "echo":
        return asyncio.run(echo_role(api_url, 3 * args.users))
    if role == "same-calls":
        return asyncio.run(same_calls_role(api_url, args.users))
    assert url is not None
    return asyncio.run(refbot_role(role, api_url, url, args))


def in_own_process(role: str, api_url: str, url: str | None, args) -> Result:  # type: ignore[no-untyped-def]
    command = [sys.executable, __file__, "--role", role, "--api-url", api_url]
    command += ["--users", str(args.users), "--latency", str(args.latency)]
    if url is not None:
        command += ["--database-url", url]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the {role} bot failed:\n{done.stderr[-4000:]}")
    return Result(**json.loads(done.stdout.strip().splitlines()[-1]))


class Backends:
    """A fresh copy of each database for every round: runs add members and offers.
    SQLite copies the cached file; PostgreSQL clones a template database filled
    once per run from that file (dropped at the end)."""

    def __init__(self, files: dict[str, Path], work: Path, postgres: bool) -> None:
        self.files, self.work = files, work
        self.names = ["SQLite"] + (["PostgreSQL"] if postgres else [])
        self.templates: dict[str, str] = {}
        self.run_tag = f"{os.getpid()}_{time.time_ns() % 10**6}"
        if postgres:
            for kind, path in files.items():
                name = f"refbot_bench_offers_{kind}_{self.run_tag}"
                asyncio.run(postgres_template(path, PG_ADMIN_URL, name))
                self.templates[kind] = name

    def copies(self, backend: str, n: int) -> dict[str, str]:
        if backend == "SQLite":
            return {
                kind: "sqlite+aiosqlite:///"
                + str(shutil.copy(path, self.work / f"{kind}{n}.sqlite3"))
                for kind, path in self.files.items()
            }
        return {
            kind: asyncio.run(postgres_clone(PG_ADMIN_URL, template, f"{template}_r{n}"))
            for kind, template in self.templates.items()
        }

    def drop(self, backend: str, n: int) -> None:
        if backend == "SQLite":
            for kind in self.files:
                (self.work / f"{kind}{n}.sqlite3").unlink()
        else:
            for template in self.templates.values():
                asyncio.run(postgres_drop(PG_ADMIN_URL, f"{template}_r{n}"))

    def close(self) -> None:
        for template in self.templates.values():
            asyncio.run(postgres_drop(PG_ADMIN_URL, template))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--latency", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=BENCH.parent / "data" / "bench")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="the large database times this (quick trials)"
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also on the local PostgreSQL (REFBOT_TEST_PG; the same rows, copied in once a run)",
    )
    parser.add_argument(
        "--only", choices=("offers", "flow"), help="run one half: /offers alone, or the flow"
    )
    parser.add_argument("--role", choices=ROLES, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        print(json.dumps(asdict(run_role(args.role, args.api_url, args.database_url, args))))
        return

    members = args.users + args.latency + 1
    shape = scaled(args.scale)
    files = {
        "large": asyncio.run(database(shape, args.data_dir)),
        "small": asyncio.run(database(small(members), args.data_dir)),
    }
    halves = {"offers": ("offers-small", "offers-large"), "flow": ("flow", "same-calls", "echo")}
    roles = halves[args.only] if args.only else ROLES
    on = {"offers-small": "small", "offers-large": "large", "flow": "large"}
    results: dict[tuple[str, str], list[Result]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as work:
        backends = Backends(files, Path(work), args.postgres)
        try:
            for n in range(args.rounds):
                for backend in backends.names:
                    urls = backends.copies(backend, n)
                    for role in roles:
                        if role in ("same-calls", "echo") and backend != backends.names[0]:
                            continue  # no database: once a round is enough
                        with bot_api_process() as api_url:
                            url = urls[on[role]] if role in on else None
                            results[role, backend].append(in_own_process(role, api_url, url, args))
                    backends.drop(backend, n)
        finally:
            backends.close()
    rate = {key: statistics.median(r.per_second for r in rs) for key, rs in results.items()}
    if "offers-large" in roles:
        print_offers(args, shape, members, backends.names, results, rate)
    if "flow" in roles:
        print_flow(args, backends.names, results, rate)


def each_round(results: list[Result]) -> str:
    return ", ".join(f"{r.per_second:.0f}" for r in results)


def print_offers(args, shape, members, backends, results, rate) -> None:  # type: ignore[no-untyped-def]
    print(
        f"/offers: {args.users} members at once, then {args.latency} one by one; "
        f"rounds: {args.rounds}; medians, each round's rate in brackets"
    )
    print(
        f"large: {shape.purchases} purchases, {shape.members} members, {shape.services} services;"
        f" nearly empty: {members} members, one purchase each, 10 services"
    )
    print(f"{'':36} /offers/s   p50 ms   p99 ms")
    for backend in backends:
        for role, label in (
            ("offers-small", "nearly empty database"),
            ("offers-large", "large database"),
        ):
            got = results[role, backend]
            latencies = [ms for r in got for ms in r.latencies_ms]
            print(
                f"{label + ', ' + backend:36} {rate[role, backend]:9.1f} "
                f"{quantile(latencies, 0.5):8.1f} {quantile(latencies, 0.99):8.1f}"
                f"   [{each_round(got)}]"
            )
        ratio = rate["offers-large", backend] / rate["offers-small", backend]
        print(f"{'ratio large / empty, ' + backend:36} {ratio:9.2f}   (aim: >= 0.80)")
    print()


def print_flow(args, backends, results, rate) -> None:  # type: ignore[no-untyped-def]
    first = backends[0]
    print(
        f"flow: {args.users} new users x (/start, Accept, /offers) on the large database, "
        f"{3 * args.users} updates; the echo bot answers as many; rounds: {args.rounds}"
    )
    print(f"{'':36} updates/s   bot CPU ms/update")
    rows = [("echo bot", ("echo", first))]
    rows.append(("same calls only", ("same-calls", first)))
    rows += [(f"refbot flow, {b}", ("flow", b)) for b in backends]
    cpu = {
        key: statistics.median(1000 * r.cpu_seconds / r.updates for r in results[key])
        for _, key in rows
    }
    for label, key in rows:
        print(f"{label:36} {rate[key]:9.1f} {cpu[key]:12.2f}   [{each_round(results[key])}]")
    echo, floor = rate["echo", first], rate["same-calls", first]
    for b in backends:
        print(f"{'ratio flow / echo, ' + b:36} {rate['flow', b] / echo:9.2f}   (aim: >= 0.50)")
    print(
        f"{'ratio same calls / echo':36} {floor / echo:9.2f}   "
        "(the ceiling: 7 Bot API calls per 3 updates against the echo bot's 3)"
    )
    for b in backends:
        print(
            f"{'ratio flow / same calls, ' + b:36} {rate['flow', b] / floor:9.2f}   "
            "(what refbot's own work leaves of that ceiling)"
        )
    for b in backends:
        ratio = cpu["echo", first] / cpu["flow", b]
        print(
            f"{'CPU ratio echo / flow, ' + b:36} {ratio:9.2f}   "
            "(the bot's CPU per update, steadier than rates on a shared machine)"
        )


if __name__ == "__main__":
    main()
