"""``python -m deploy.demo [--scenario NAME|PATH] [--gateway URL] [--admin-password …]``

Plays a scenario against a running platform (``make run``), or starts one when nothing answers
at the gateway's address, and ends with each published figure beside the platform's
statistics. Exit code 0 when every figure matches, 1 when one does not, 2 when the scenario is
refused or a call fails."""

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from deploy.demo import labour, money, report, sales, setup
from deploy.demo.client import Api, DemoError
from deploy.demo.scenario import Plan, ScenarioError, load


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _start_platform(url: str, password: str) -> subprocess.Popen[bytes]:
    """``python -m deploy.launcher`` with this bootstrap admin password (a fresh data dir
    takes it; one whose admin exists keeps its own)."""
    env = dict(os.environ, EW_BOOTSTRAP_ADMIN_PASSWORD=password)
    log = Path(env.get("EW_DATA_DIR", "data")) / "demo-launcher.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.launcher"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 180
    while not _ready(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise DemoError(f"the platform did not start; see {log}")
        time.sleep(0.5)
    return proc


async def play(
    plan: Plan, url: str, password: str, concurrency: int
) -> tuple[bool, dict[str, int]]:
    """Play ``plan``; whether every figure matched, and what the run added to each."""
    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    run = int.from_bytes(secrets.token_bytes(3), "big")
    api = Api(url, concurrency)
    try:
        admin = await api.login("admin", "admin", password)
        world = setup.World(tag=f"{run:06x}", admin=admin)
        await setup.staff(api, world)
        assert world.auditor is not None
        before = await report.figures(api, world.auditor, {})
        await setup.organisations(api, world, plan)
        skus = await setup.catalogue(api, world, plan)
        await labour.postings(api, world, plan, today)
        await labour.workers(api, world, plan, run)
        await labour.fairs_and_trainings(api, world, plan)
        await labour.placements(api, world, plan)
        corrected = await labour.confirmations(api, world, plan)
        sold = await sales.report(api, world, plan, skus)
        await money.grants(api, world, plan)
        await money.payees(api, world, plan, run)
        await money.review(api, world, plan)
        notice = await money.notice(api, world, plan)
        paid = await money.pay(api, world, plan, run)
        after = await report.figures(
            api,
            world.auditor,
            {p.code: world.programs[p.code] for p in plan.programs},
            {p.code: world.programs[p.code] for p in plan.programs if p.notice_days},
        )
    finally:
        await api.close()
    text, ok = report.table(plan, before, after)
    print(
        f"\n{plan.title} — run {world.tag}, {api.requests} requests "
        f"({api.throttled} throttled by the gateway's rate limit)"
    )
    print(f"  confirmations corrected: {corrected}; sales: {sold}; payments: {paid}")
    for line in notice:
        print(f"  {line}")
    if any(before.values()):
        print("  the platform had data before this run: the figures are what this run added")
    print(text)
    print(f"\ndashboard (仪表盘): {url}/console/dashboard  (log in as admin)")
    return ok, {k: after[k] - before.get(k, 0) for k in after}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.demo", description=__doc__)
    parser.add_argument(
        "--scenario", default="haizhu-wengan", help="a name in deploy/demo/scenarios or a path"
    )
    port = os.environ.get("EW_GATEWAY_PORT", "8000")
    parser.add_argument("--gateway", default=f"http://127.0.0.1:{port}")
    parser.add_argument("--admin-password", default=os.environ.get("EW_BOOTSTRAP_ADMIN_PASSWORD"))
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    try:
        plan = load(args.scenario, today)
    except ScenarioError as exc:
        print(f"scenario refused: {exc}", file=sys.stderr)
        return 2
    url = args.gateway.rstrip("/")
    launcher = None
    if _ready(url):
        print(f"using the platform at {url}")
        if not args.admin_password:
            print(
                "the admin password: --admin-password or EW_BOOTSTRAP_ADMIN_PASSWORD",
                file=sys.stderr,
            )
            return 2
    else:
        args.admin_password = args.admin_password or secrets.token_urlsafe(18)
        print(f"nothing answers at {url}: starting the platform (python -m deploy.launcher)")
        launcher = _start_platform(url, args.admin_password)
    started = time.monotonic()
    try:
        ok, _ = asyncio.run(play(plan, url, args.admin_password, args.concurrency))
    except DemoError as exc:
        print(f"\ndemo stopped: {exc}", file=sys.stderr)
        return 2
    finally:
        if launcher is not None and not sys.stdin.isatty():
            launcher.terminate()
            launcher.wait(30)
    print(f"played in {time.monotonic() - started:.1f} s")
    if launcher is not None and sys.stdin.isatty():
        print(f"the platform keeps running (admin password {args.admin_password}); Ctrl-C stops it")
        try:
            launcher.wait()
        except KeyboardInterrupt:
            launcher.terminate()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
