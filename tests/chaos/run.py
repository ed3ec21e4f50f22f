"""``make chaos`` (``python -m tests.chaos.run``): the fault harness.

Starts a private PostgreSQL cluster, nats-server, the three services and the gateway as real
processes on loopback; builds a small world through the API; runs the workload while the
nemesis injects every kind of fault ``--rounds`` times; heals, waits for the events to settle,
and checks every write. Prints the counts, the invariants and the timeline of faults; exits 1
if any write was lost or duplicated or an invariant broke. ``--short`` is the suite's run."""

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.chaos.checker import Report, check, settle
from tests.chaos.nemesis import Nemesis, fault_kinds
from tests.chaos.platform import Platform
from tests.chaos.postgres import PrivatePostgres
from tests.chaos.workload import Client, History, Workload, setup
from tests.pii.recording import record_httpx, scan_files, scan_streams
from tests.pii.scanner import PiiScan
from tests.support.infra import connect_harness, free_port

# The suite's short run: one fault of each family, the cheap ones.
SHORT_SCHEDULE = [
    "point:subsidies:consumer.after_commit",
    "nats:stop",
    "point:products:relay.after_publish",
    "kill:gateway",
    "proxy:reset",
    "nats:kill",
    "postgres:restart",
]


@dataclass
class Options:
    writes: int = 10_000
    rounds: int = 3
    schedule: list[str] | None = None
    gap: float = 4.0
    stores: int = 6
    workers: int = 100
    max_seconds: float = 3600
    # Give up settling once the backlog has not shrunk for this long.
    settle_seconds: float = 180
    seed: int = 14
    # Register new workers once the setup's are hired, so jobs events last the whole run (the
    # long run's fault points wait for them); the short run keeps to the setup's.
    more_workers: bool = True
    keep: bool = False
    out: Path | None = None


@dataclass
class Outcome:
    report: Report
    history: History
    timeline: list
    seconds: float
    work: Path


async def run_harness(opts: Options) -> Outcome:
    work = Path(tempfile.mkdtemp(prefix="ew-chaos-"))
    pg = PrivatePostgres(free_port(), work / "pg")
    platform = Platform(work, pg)
    t_start = time.monotonic()
    # Everything the workload sends and reads, the processes' logs and every stream message are
    # scanned for personal data in clear (RELIABILITY row 26), as the suite's scan does.
    pii = PiiScan()
    stop_recording = record_httpx(pii)
    try:
        await asyncio.to_thread(pg.init)
        await asyncio.to_thread(pg.start)
        await pg.create_databases()
        await platform.start_all()
        client = Client(platform.gateway_url, deadline=90)
        run = uuid.uuid4().hex[:6]
        world = await setup(client, run, stores=opts.stores, workers=opts.workers)
        history = History()
        workload = Workload(client, world, history, run)
        nemesis = Nemesis(platform, history.t0)
        schedule = opts.schedule or fault_kinds() * opts.rounds
        if opts.schedule is None:
            random.Random(opts.seed).shuffle(schedule)
        faults_done = asyncio.Event()
        writers = [
            asyncio.create_task(workload.store_writer(store_id, key))
            for store_id, key in world.stores
        ]
        half = len(world.workers) // 2
        writers += [
            # New workers are numbered after the setup's, odd and even per writer.
            asyncio.create_task(
                workload.partner_writer(world.workers[:half], opts.workers, opts.more_workers)
            ),
            asyncio.create_task(
                workload.partner_writer(world.workers[half:], opts.workers + 1, opts.more_workers)
            ),
            asyncio.create_task(workload.reviewer()),
            asyncio.create_task(workload.payer(every=8.0)),
        ]

        async def faults() -> None:
            await nemesis.run(schedule, opts.gap, asyncio.Event())
            faults_done.set()

        nemesis_task = asyncio.create_task(faults())
        deadline = time.monotonic() + opts.max_seconds
        while not (faults_done.is_set() and history.writes() >= opts.writes):
            if time.monotonic() > deadline:
                break
            if workload.stop.is_set():  # a writer set it: never, but do not spin
                break
            await asyncio.sleep(0.5)
        # The last fault healed; a few seconds of quiet writes, then stop.
        await asyncio.sleep(2.0 if faults_done.is_set() else 0)
        workload.stop.set()
        await asyncio.gather(*writers, return_exceptions=True)
        nemesis_task.cancel()
        await asyncio.gather(nemesis_task, return_exceptions=True)
        await heal(platform)
        settled, backlog = await settle(platform, opts.settle_seconds)
        report = await check(platform, world, history)
        report.figures["backlog when the writes stopped"] = backlog
        report.figures["settled after (s)"] = round(settled, 1)
        report.figures["faults injected"] = len(nemesis.timeline)
        await client.close()
        streams = await scan_platform_streams(platform, pii)
    finally:
        stop_recording()
        await platform.close_proxies()
        platform.stop_all()
        logs = scan_files(pii, sorted(platform.logs.glob("*.log")))
        await asyncio.to_thread(pg.destroy)
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)
    pii_verdict(report, pii, streams, logs)
    return Outcome(report, history, nemesis.timeline, time.monotonic() - t_start, work)


async def scan_platform_streams(platform: Platform, scan: PiiScan) -> int:
    """Every message of every stream, read as the harness's NATS user; returns the streams."""
    nc = await connect_harness(platform.nats_url)
    try:
        return len(await scan_streams(nc, scan))
    finally:
        await nc.close()


def pii_verdict(report: Report, scan: PiiScan, streams: int, logs: int) -> None:
    findings = scan.findings()
    counts = ", ".join(f"{kind} {n}" for kind, n in sorted(scan.counts.items()))
    report.invariant(
        "no personal data in clear",
        not findings,
        f"{counts}, {streams} streams, {logs} process logs; "
        f"{len(scan.phones)} phones and {len(scan.accounts)} accounts sent"
        + "".join(f"; {f}" for f in findings[:20]),
    )


async def heal(platform: Platform) -> None:
    """Every fault undone: proxies passing, NATS running, every process up and ready."""
    import signal

    assert platform.nats_proxy and platform.pg_proxy
    for proxy in (platform.nats_proxy, platform.pg_proxy):
        proxy.set("pass")
    if platform.nats.alive():
        platform.signal_nats(signal.SIGCONT)
    else:
        await asyncio.to_thread(platform.start_nats)
    if not await asyncio.to_thread(platform.pg.running):
        await asyncio.to_thread(platform.pg.start)
    for name, proc in platform.procs.items():
        if not proc.alive():
            await platform.start(name)


def render(outcome: Outcome) -> str:
    r, h = outcome.report, outcome.history
    kinds = Counter(op.kind for op in h.ops)
    lines = [
        f"fault harness: {h.writes()} writes in {outcome.seconds:.0f} s "
        f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})",
        "",
        "writes: " + ", ".join(f"{k} {v}" for k, v in sorted(r.classes.items())),
        f"  lost {r.classes['lost']}, duplicated {r.classes['duplicated']}",
    ]
    for kind, counts in sorted(r.by_kind.items()):
        lines.append(f"  {kind:<13}" + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    lines += ["", "invariants:"]
    lines += [f"  {name}: {verdict}" for name, verdict in r.invariants.items()]
    lines += ["", "figures:"]
    lines += [f"  {name}: {value}" for name, value in r.figures.items()]
    attempts = Counter(min(op.attempts, 5) for op in h.ops)
    lines.append(
        "  attempts per write: "
        + ", ".join(f"{k if k < 5 else '5+'}: {v}" for k, v in sorted(attempts.items()))
    )
    lines += ["", "timeline (s from the first write):"]
    lines += [f"  {e.at:7.1f}  {e.fault:<40} {e.took:5.1f} s  {e.note}" for e in outcome.timeline]
    by_fault = Counter(e.fault for e in outcome.timeline)
    lines.append(f"  {len(by_fault)} kinds, fewest {min(by_fault.values(), default=0)} times each")
    if r.problems:
        lines += ["", "PROBLEMS:"] + [f"  {p}" for p in r.problems[:200]]
    lines += ["", "PASS: 0 lost, 0 duplicated" if r.passed else "FAIL"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.run", description=__doc__)
    parser.add_argument("--writes", type=int, default=10_000, help="at least this many writes")
    parser.add_argument("--rounds", type=int, default=3, help="times each fault kind is injected")
    parser.add_argument("--short", action="store_true", help="the suite's short run")
    parser.add_argument("--gap", type=float, default=4.0, help="seconds between faults")
    parser.add_argument("--keep", action="store_true", help="keep the logs and data folder")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.short:
        opts = Options(
            writes=0, schedule=SHORT_SCHEDULE, gap=2.0, stores=3, workers=60, more_workers=False
        )
    else:
        opts = Options(writes=args.writes, rounds=args.rounds, gap=args.gap)
    opts.keep = args.keep
    outcome = asyncio.run(run_harness(opts))
    print(render(outcome), flush=True)
    if opts.keep:
        print(f"logs and data kept in {outcome.work}")
    if args.json:
        r = outcome.report
        args.json.write_text(
            json.dumps(
                {
                    "writes": outcome.history.writes(),
                    "seconds": round(outcome.seconds),
                    "classes": dict(r.classes),
                    "by_kind": {k: dict(v) for k, v in r.by_kind.items()},
                    "invariants": r.invariants,
                    "faults": dict(Counter(e.fault for e in outcome.timeline)),
                },
                indent=2,
                default=str,
            )
        )
    return 0 if outcome.report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
