"""`make bench` (``python -m tests.bench.run``): the platform's hot paths and their baselines,
side by side in one run (issue 12).

Sets up what it needs (nginx and wrk from Debian when missing), starts the platform as real
processes (tests/bench/platform.py: the fault harness's platform without faults, production
settings and INFO logs) on fresh databases of the local PostgreSQL, the baselines beside it
(tests/bench/baselines.py), builds a world through the gateway, then repeats every scenario
``--runs`` times (interleaved: each run measures every scenario and its baselines), loads
1,000,000 sale lines and measures the statistics. Writes JSON and a markdown table
(tests/bench/summary.py) to ``--out``; docs/bench.md is the committed report of this machine
kind. Loopback only; every scenario bounded in time.

    make bench                            # 3 runs, about 10 minutes
    make bench BENCH_ARGS=--quick         # 1 short run, 100,000 lines: development
    make bench BENCH_ARGS="--profile products"   # also py-spy of products during the sale
"""

import argparse
import asyncio
import inspect
import json
import os
import platform as host
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bench import profile as profiler
from tests.bench import stats
from tests.bench.baselines import Baselines
from tests.bench.events import Propagation
from tests.bench.hot import Hot
from tests.bench.load import loadavg, quiet, wrk
from tests.bench.platform import BenchPlatform, LocalPostgres, ensure_debian_tools
from tests.bench.summary import markdown
from tests.bench.world import build
from tests.chaos.workload import Client

ROOT = Path(__file__).resolve().parents[2]
STATS_QUERIES = {
    "all_time_by_product": "group_by=product",
    "year_by_store_month": "group_by=store&group_by=month&date_from=2026-01-01&date_to=2026-12-31",
    "ten_days_by_township": "group_by=township&date_from=2026-06-11&date_to=2026-06-20",
    "range_by_product": "group_by=product&date_from=2026-02-17&date_to=2026-11-09",
}


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short run (development)")
    parser.add_argument("--runs", type=int, help="runs of every scenario (default 3; quick 1)")
    parser.add_argument("--seconds", type=float, help="seconds per wrk scenario (5; quick 2)")
    parser.add_argument("--lines", type=int, help="sale lines for statistics (1,000,000)")
    parser.add_argument(
        "--profile",
        metavar="PROCESS",
        help="record py-spy of this process (gateway, products, …) during the sale scenario",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "bench", help="report folder")
    args = parser.parse_args()
    args.runs = args.runs or (1 if args.quick else 3)
    args.seconds = args.seconds or (2.0 if args.quick else 5.0)
    args.lines = args.lines or (100_000 if args.quick else 1_000_000)
    args.event_seconds = 2.0 if args.quick else 4.0
    return args


async def main(args: argparse.Namespace) -> int:
    ensure_debian_tools("nginx", "wrk")
    work = Path(tempfile.mkdtemp(prefix="ew-bench-"))
    pg = LocalPostgres()
    platform = BenchPlatform(work, pg)
    baselines = Baselines(work, pg)
    began = time.monotonic()
    try:
        await pg.create_databases()
        await platform.start_all()  # no faulty proxies: its databases are not a private cluster
        await baselines.start(platform.procs["products"].port)
        client = Client(platform.gateway_url, deadline=60)
        confirmations = args.runs * int(210 * args.event_seconds)
        world = await build(
            client,
            platform.env("products")["EW_IDENTITY_SECRET"],
            max(60, confirmations // 11 + 2),
        )
        await client.close()
        print(f"platform and world ready in {time.monotonic() - began:.0f}s", flush=True)

        def pids() -> dict[str, int]:
            return platform.pids() | baselines.pids()

        urls = {
            "bare": baselines.app_url,
            "nginx": baselines.nginx_url,
            "products": platform.procs["products"].url,
            "gateway": platform.gateway_url,
        }
        hot = Hot(world, urls, pids, args.seconds, pg.dsn(pg.database("products")))
        events = Propagation(world, platform.gateway_url, pg.dsn(pg.database("subsidies")))
        await events.wait_placements()
        warm = Hot(world, urls, pids, 1, hot.products_dsn)
        for target in ("bare", "products", "gateway"):
            warm.sale(target)
        runs = []
        for n in range(args.runs):
            print(f"run {n + 1}/{args.runs}…", flush=True)
            runs.append(await one_run(hot, events, baselines, args))
            print(json.dumps(runs[-1], default=str)[:4000], flush=True)
        print(f"loading {args.lines:,} sale lines…", flush=True)
        try:
            loaded = await stats.load(
                hot.products_dsn, world.store_ids, list(world.product_ids.values()), args.lines
            )
        except Exception as exc:
            loaded = {"error": f"{type(exc).__name__}: {exc}"[:600]}
            print(f"  loading failed: {loaded['error']}", flush=True)
        for n, run in enumerate(runs):
            run["stats_load"] = loaded
            if "error" not in loaded:
                run["stats"] = statistics_run(urls["gateway"], world.admin, args.seconds, pids())
            print(f"statistics {n + 1}/{args.runs} done", flush=True)
    finally:
        baselines.stop()
        platform.stop_all()
        await pg.drop()
    write_report(args, runs, time.monotonic() - began, work)
    shutil.rmtree(work, ignore_errors=True)
    return 0


async def one_run(
    hot: Hot, events: Propagation, baselines: Baselines, args: argparse.Namespace
) -> dict[str, Any]:
    """Every scenario once, each next to its baseline; a scenario that fails is recorded with
    its error and the run goes on."""
    services = {n: p for n, p in hot.pids().items() if n in ("jobs", "products", "subsidies")}
    settled = [quiet(services)]
    run: dict[str, Any] = {"started": datetime.now(UTC).isoformat(), "load_before": loadavg()}

    async def measure(key: str, make: Callable[[], Any]) -> None:
        try:
            result = make()
            run[key] = await result if inspect.isawaitable(result) else result
        except Exception as exc:
            run[key] = {"error": f"{type(exc).__name__}: {exc}"[:600]}
            print(f"  {key} failed: {run[key]['error']}", flush=True)

    await measure("sale", lambda: {t: hot.sale(t) for t in ("bare", "products", "gateway")})
    if args.profile:
        pid = hot.pids()[args.profile]
        await measure(
            "profile",
            lambda: profiler.record(
                pid, hot.seconds, args.out, args.profile, lambda: hot.sale("gateway")
            ),
        )
    await measure("sale_hot", lambda: {t: hot.sale(t, hot=True) for t in ("products", "gateway")})
    await measure(
        "sale_c1", lambda: {t: hot.sale(t, connections=1) for t in ("bare", "products", "gateway")}
    )
    gateway_rate = run["sale"].get("gateway", {}).get("per_second", 0.0)
    await measure("paced", lambda: hot.paced_sales(max(1.0, gateway_rate / 2), args.seconds))
    for key, path, expect in (
        ("me", "/v1/products/stores/me", None),
        ("404", "/v1/products/no-such-thing", 404),
    ):
        await measure(
            f"get_{key}",
            lambda p=path, e=expect: {
                t: hot.get(t, p, expect=e) for t in ("products", "nginx", "gateway")
            },
        )
    await measure(
        "get_c1",
        lambda: {
            t: hot.get(t, "/v1/products/stores/me", connections=1)
            for t in ("products", "nginx", "gateway")
        },
    )
    await measure("copy", lambda: baselines.copy_rate(10_000))
    settled.append(quiet(services))
    await measure("batch", lambda: hot.batch(10_000))
    await measure("jetstream", lambda: baselines.jetstream_round_trip(200 if args.quick else 500))
    for speed, rate in (("slow", 10), ("fast", 200)):
        settled.append(quiet(services))
        await measure(
            f"confirm_{speed}", lambda r=rate: events.confirmations(r, args.event_seconds)
        )
        settled.append(quiet(services))
        await measure(
            f"stats_{speed}", lambda r=rate: events.sales_to_statistics(r, args.event_seconds)
        )
    run["load_after"] = loadavg()
    run["settle_seconds"] = [round(s, 1) for s in settled]
    return run


def statistics_run(
    gateway: str, admin: dict[str, str], seconds: float, pids: dict[str, int]
) -> dict[str, Any]:
    """Each query at 8 connections (the target's figure) and at one (its own latency, with no
    queue behind the other seven)."""
    out: dict[str, Any] = {}
    for name, query in STATS_QUERIES.items():
        cfg = {
            "kind": "get",
            "method": "GET",
            "path": f"/v1/products/statistics?{query}",
            "headers": admin,
        }
        out[name] = wrk(gateway, cfg, connections=8, seconds=seconds, pids=pids)
        out[f"{name}_c1"] = wrk(gateway, cfg, connections=1, seconds=seconds, pids=pids)
    return out


def write_report(
    args: argparse.Namespace, runs: list[dict[str, Any]], seconds: float, work: Path
) -> None:
    loads = [x for run in runs for x in (run["load_before"], run["load_after"])]
    loads += [
        part["load"]
        for run in runs
        for group in run.values()
        if isinstance(group, dict)
        for part in group.values()
        if isinstance(part, dict) and "load" in part
    ]
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{host.machine()}, {len(os.sched_getaffinity(0))} cores, "
        f"{_memory_gb():.0f} GB, {host.python_implementation()} {host.python_version()}",
        "runs": args.runs,
        "quick": args.quick,
        "seconds_per_scenario": args.seconds,
        "wall_seconds": round(seconds),
        "load": f"{min(loads):.2f}–{max(loads):.2f}" if loads else "—",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps({"meta": meta, "runs": runs}, indent=1))
    text = (
        f"Date: {meta['date']}. Machine: {meta['machine']}. Wall time {meta['wall_seconds']} s.\n\n"
    )
    text += markdown(runs, meta) + "\n"
    (args.out / "bench.md").write_text(text)
    print("\n" + text)
    print(f"report: {args.out / 'bench.md'} and bench.json", flush=True)


def _memory_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return 0.0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(options())))
