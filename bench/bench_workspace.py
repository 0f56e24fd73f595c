"""Every /app/api endpoint on a large network beside the same endpoint on an
empty database, in the same run: p50 and p95 per endpoint, plus what the
analytics job costs to keep the figures.

    nice -n 10 .venv/bin/python bench/bench_workspace.py                  # 1,000,000 purchases
    nice -n 10 .venv/bin/python bench/bench_workspace.py --reuse /tmp/big.sqlite3

Requests go through the whole FastAPI app (auth dependency with a signed init
data, role lookup, the route, JSON) in process over httpx's ASGI transport,
one at a time, so the figures are server time without a network. The large
database comes from bench/large_network.py (SQLite); the job is run once on
it before timing (its own cost is printed too).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench.large_network import generate  # noqa: E402
from migrations.runner import upgrade_async  # noqa: E402
from refbot.services import build_services  # noqa: E402
from refbot.settings import Settings  # noqa: E402
from referral.ledger.activity_models import Purchase  # noqa: E402
from tests.workspace.initdata import TOKEN, sign  # noqa: E402
from web.app import build_http_app  # noqa: E402

PARTNER, MARKETER = 5_000_001, 5_000_002
TARGET_P95_MS = 200.0


def endpoints(company_id: int) -> list[str]:
    base = f"/app/api/companies/{company_id}"
    market = f"/app/api/marketer/companies/{company_id}"
    return [
        "/app/api/me",
        f"{base}/overview",
        f"{base}/overview?granularity=day",
        f"{base}/overview?granularity=month&start=2025-06-01",
        f"{base}/overview?format=csv",
        *(
            f"{base}/{view}"
            for view in ("cohorts", "structure", "segments", "churn", "peers", "insights", "funnel")
        ),
        f"{base}/segments?format=csv",
        f"{market}/segments",
        f"{market}/audience",
        "/app/api/marketer/surveys",
    ]


async def prepared(url: str, data_dir: Path, large: bool):  # type: ignore[no-untyped-def]
    settings = Settings(
        _env_file=None,
        database_url=url,
        data_dir=data_dir,
        bot_token=TOKEN,
        link_secret="bench",
        min_audience=5,
    )
    services = build_services(settings)
    if not large:
        await services.companies.add("Empty Partner", "p000")
    company = await services.companies.get("p000")
    await services.roles.grant("partner", PARTNER, "p000")
    await services.roles.grant("marketer", MARKETER)
    started = time.perf_counter()
    report = await services.analytics_job.run()
    job_s = time.perf_counter() - started
    return services, company.id, job_s, report


async def incremental_cost(services, company_id: int) -> float:  # type: ignore[no-untyped-def]
    """One rollup refresh after 1,000 new purchases (what the 10-minute job does)."""
    async with services.db() as session:
        newest = await session.scalar(select(func.max(Purchase.id)))
    lines = [f"b{n:09d},s0,500,2026-11-30T12:00:00+00:00,inc-{newest}-{n}" for n in range(1000)]
    await services.loyalty.purchases.import_csv(
        "p000", "client,service,amount,time,receipt\n" + "\n".join(lines)
    )
    started = time.perf_counter()
    await services.analytics_job.refresh_rollup()
    return time.perf_counter() - started


async def timings(services, paths: list[str], rounds: int) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    app = build_http_app(services)
    transport = httpx.ASGITransport(app=app)
    out: dict[str, list[float]] = {path: [] for path in paths}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for round_ in range(rounds + 2):  # two warm-up rounds
            for path in paths:
                user = MARKETER if "/marketer/" in path else PARTNER
                headers = {"Authorization": "tma " + sign(user)}
                started = time.perf_counter()
                answer = await client.get(path, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                if answer.status_code != 200:
                    raise SystemExit(f"{path}: {answer.status_code} {answer.text[:200]}")
                if round_ >= 2:
                    out[path].append(elapsed)
    return out


def p(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", help="an already generated large SQLite file (copied first)")
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-workspace-"))
    big, empty = folder / "large.sqlite3", folder / "empty.sqlite3"
    started = time.perf_counter()
    if args.reuse:
        shutil.copy(args.reuse, big)
    else:
        await generate(f"sqlite+aiosqlite:///{big}", args.companies, args.members, args.purchases)
    print(f"large network ready in {time.perf_counter() - started:.0f} s")
    await upgrade_async(f"sqlite+aiosqlite:///{empty}")
    large_services, large_id, large_job, report = await prepared(
        f"sqlite+aiosqlite:///{big}", folder / "large", True
    )
    empty_services, empty_id, empty_job, _ = await prepared(
        f"sqlite+aiosqlite:///{empty}", folder / "empty", False
    )
    print(
        f"analytics job, first run: {large_job:.1f} s on the large network "
        f"({report.rollup.purchases_read:,} purchases read, {report.rollup.member_days:,} "
        f"member-days, {report.snapshots} snapshots); {empty_job:.2f} s on the empty one"
    )
    print(
        f"rollup refresh after 1,000 new purchases: "
        f"{await incremental_cost(large_services, large_id):.2f} s"
    )
    large = await timings(large_services, endpoints(large_id), args.rounds)
    empty_times = await timings(empty_services, endpoints(empty_id), args.rounds)
    print(
        f"\n{args.rounds} requests per endpoint, milliseconds "
        f"(large: {args.purchases:,} purchases, {args.members:,} members, "
        f"{args.companies} partners)"
    )
    print(f"{'endpoint':58} {'empty p50':>9} {'p95':>7} {'large p50':>9} {'p95':>7}")
    worst = 0.0
    for path_large, path_empty in zip(large, empty_times, strict=True):
        shown = path_large.replace(f"/companies/{large_id}", "/companies/{id}")
        e50, e95 = p(empty_times[path_empty], 50), p(empty_times[path_empty], 95)
        l50, l95 = p(large[path_large], 50), p(large[path_large], 95)
        worst = max(worst, l95)
        print(f"{shown:58} {e50:9.1f} {e95:7.1f} {l50:9.1f} {l95:7.1f}")
    verdict = "meets" if worst < TARGET_P95_MS else "MISSES"
    print(
        f"\nworst p95 on the large network: {worst:.1f} ms "
        f"({verdict} the {TARGET_P95_MS:.0f} ms target)"
    )
    await large_services.close()
    await empty_services.close()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
