"""Two replicas, proven (issue 13 part 5, RELIABILITY rows 1 and 2 with two of everything).

Two replicas of each service and two gateways run as real processes on the same databases (fresh
ones on the machine's PostgreSQL) and the same nats-server; the gateways reach each service's
replicas through a balancer that spreads connections over them (as a Kubernetes Service or
Compose's DNS would). The fault harness's workload writes through both gateways; halfway, one
replica of each service and one gateway are killed with SIGKILL and the writes go on through the
survivors. Then the harness's checker classifies every write against every database, and the
streams are compared with the outboxes.

It shows (a) no double effect while the replicas share the work: every outbox row is in its
stream once (the relays' lock and JetStream's Nats-Msg-Id de-duplication), every jobs event
applied once by the subsidies replicas on their shared durable consumer (one application line
per confirmed month, each placement mirrored once), every sale held once and the rollups equal
to the sales; (b) nothing lost to the kills: every write answered ok is held exactly once after
the survivors drained the outboxes and applied the inbox."""

import asyncio
import shutil
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import httpx
import nats
import pytest
from prometheus_client.parser import text_string_to_metric_families

from deploy.secrets import nats_password_key
from deploy.topology import SERVICES
from shared.events.permissions import connect_options
from shared.events.streams import stream_name
from tests.chaos.checker import Report, check, settle
from tests.chaos.platform import Platform, replica_name
from tests.chaos.postgres import SharedDatabases
from tests.chaos.workload import Client, History, Workload, setup
from tests.pii.plugin import scan_process_logs

pytestmark = pytest.mark.timeout(300)

BEFORE_KILL_SECONDS = 8.0
AFTER_KILL_SECONDS = 8.0
SETTLE_SECONDS = 60.0


def counter(text: str, name: str, **labels: str) -> float:
    """The sum of a Prometheus counter's samples whose labels include ``labels``."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == f"{name}_total" and labels.items() <= sample.labels.items()
    )


async def work_shares(platform: Platform) -> dict[str, dict[str, float]]:
    """What each replica did so far, from its own metrics: write requests served, events its
    relay published, events its consumer applied."""
    shares: dict[str, dict[str, float]] = {}
    async with httpx.AsyncClient(timeout=5) as http:
        for proc in platform.procs.values():
            text = (await http.get(f"{proc.url}/metrics")).text
            shares[proc.name] = {
                "writes": counter(text, "ew_http_requests", method="POST"),
                "published": counter(text, "ew_events_published"),
                "applied": counter(text, "ew_events_consumed", outcome="applied"),
            }
    return shares


async def streams_match_outboxes(platform: Platform, report: Report) -> None:
    """Each service's stream holds each of its outbox rows once: as many messages as rows, and
    the rows' stream sequences are exactly the stream's (a row published twice past the
    de-duplication would add a message, and its row would hold the second sequence)."""
    for service in SERVICES:
        nc = await nats.connect(
            platform.nats_url,
            **connect_options(service, platform.secrets[nats_password_key(service)]),  # type: ignore[arg-type]
        )
        try:
            info = await nc.jetstream().stream_info(stream_name(service))
        finally:
            await nc.close()
        conn = await asyncpg.connect(platform.pg.superuser_url(service))
        try:
            seqs = [r["stream_seq"] for r in await conn.fetch("SELECT stream_seq FROM outbox")]
        finally:
            await conn.close()
        messages = info.state.messages
        report.figures[f"{service} stream messages"] = messages
        report.invariant(
            f"{service} stream = outbox",
            messages == len(seqs) and sorted(seqs) == list(range(1, messages + 1)),
            f"{messages} messages in the stream, {len(seqs)} outbox rows, "
            f"{len(set(seqs))} distinct stream sequences",
        )


async def run_workload(platform: Platform, workload: Workload) -> dict:
    """Writes through both gateways; halfway, one replica of each process is killed (SIGKILL),
    and the writes go on through the survivors. Returns what each replica had done when the
    kill came."""
    world = workload.world
    writers = [workload.store_writer(store_id, key) for store_id, key in world.stores]
    half, first_new = len(world.workers) // 2, len(world.workers)
    writers += [
        # Once the setup's workers are hired, each registers more (numbered odd and even).
        workload.partner_writer(world.workers[:half], first_new, more=True),
        workload.partner_writer(world.workers[half:], first_new + 1, more=True),
        workload.reviewer(),
        workload.payer(every=5.0),
    ]
    tasks = [asyncio.create_task(w) for w in writers]
    await asyncio.sleep(BEFORE_KILL_SECONDS)
    shares = await work_shares(platform)
    killed_at = workload.history.writes()
    for app in (*SERVICES, "gateway"):
        platform.kill(replica_name(app, 1))
    await asyncio.sleep(AFTER_KILL_SECONDS)
    workload.stop.set()
    await asyncio.gather(*tasks)
    return {"shares": shares, "writes before the kill": killed_at}


class TestTwoReplicas:
    async def test_replicas_share_the_work_and_a_kill_loses_nothing(self) -> None:
        started = time.monotonic()
        work = Path(tempfile.mkdtemp(prefix="ew-replicas-"))
        pg = SharedDatabases()
        platform = Platform(work, pg, replicas=2)
        try:
            phases: dict[str, float] = {}

            def phase(name: str) -> None:
                phases[name] = time.monotonic() - started - sum(phases.values())

            await pg.create_databases()
            phase("databases")
            await platform.start_all()
            phase("start")
            client = Client(platform.gateway_urls, deadline=30)
            run = uuid.uuid4().hex[:6]
            world = await setup(client, run, stores=4, workers=6)
            phase("setup")
            history = History()
            workload = Workload(client, world, history, run)
            during = await run_workload(platform, workload)
            phase("writes")
            settled, _backlog = await settle(platform, SETTLE_SECONDS)
            phase("settle")
            report = await check(platform, world, history)
            await streams_match_outboxes(platform, report)
            phase("check")
            retried = sum(op.attempts > 1 for op in history.ops)
            report.figures["writes answered after a retry"] = retried
            await client.close()
            shares = during["shares"]
            print(
                f"\ntwo replicas: {history.writes()} writes "
                f"({during['writes before the kill']} before the kill), settled after "
                f"{settled:.1f} s; {sum(phases.values()):.0f} s: "
                + ", ".join(f"{k} {v:.0f} s" for k, v in phases.items())
            )
            print("  what each replica had done at the kill:")
            for name, share in sorted(shares.items()):
                print(f"  {name:<12} " + ", ".join(f"{k} {v:.0f}" for k, v in share.items()))
            print("  writes: " + ", ".join(f"{k} {v}" for k, v in sorted(report.classes.items())))
            for name, verdict in report.invariants.items():
                print(f"  {name}: {verdict}")
            for name, value in report.figures.items():
                print(f"  {name}: {value}")
        finally:
            platform.stop_all()
            await platform.close_proxies()
            await pg.destroy()
            # What the eight processes logged is scanned for personal data like the suite's.
            scan_process_logs(sorted(platform.logs.glob("*.log")))
            shutil.rmtree(work, ignore_errors=True)

        # Nothing lost, nothing applied twice; every invariant holds (fund, audit chain, sales
        # = rollups = statistics, outboxes drained, jobs events applied, no dead letters).
        assert settled >= 0, "the outboxes were not drained or the inbox not applied in time"
        assert report.classes["lost"] == 0, report.problems
        assert report.classes["duplicated"] == 0, report.problems
        assert report.problems == [], report.problems
        # The writes went through both gateways, before the kill and after it (the survivor).
        ops = history.ops
        before = ops[: during["writes before the kill"]]
        assert Counter(op.via for op in before if op.outcome == "ok").keys() >= {0, 1}
        after = [op for op in ops[during["writes before the kill"] :] if op.outcome == "ok"]
        assert len(after) > 20, "too few writes acknowledged after the kill"
        assert {"sale", "confirmation"} <= {op.kind for op in after}
        kinds = {op.kind for op in ops if op.outcome == "ok"}
        assert {"sale", "batch_sale", "placement", "confirmation", "approval"} <= kinds
        assert report.classes["ok"] > 0.9 * len(ops)
        # Both replicas of each process had served writes before the kill, and the two
        # subsidies replicas had both applied jobs events from their shared durable consumer.
        for app in (*SERVICES, "gateway"):
            for n in (1, 2):
                assert shares[replica_name(app, n)]["writes"] > 0, (app, n, shares)
        for n in (1, 2):
            assert shares[replica_name("subsidies", n)]["applied"] > 0, shares
