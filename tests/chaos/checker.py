"""The check, Jepsen style: each write is *ok* (what the client was told is what every database
holds, once), *lost* (told ok, missing somewhere downstream), *duplicated* (held more than once
anywhere), *unknown* (the client never got an answer: reported with what the databases hold) or
*failed* (refused with a definite answer, and indeed absent). Then the invariants: no fund over-
or mis-reserved, the audit chain verifies, every outbox row published, every jobs event applied
by subsidies, no dead letters; and the statistics agree with the sales and the rollups."""

import asyncio
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from services.subsidies.consumers import jobs_events
from services.subsidies.review.domain import RESERVED_STATES
from tests.chaos.platform import ROOT, Platform
from tests.chaos.workload import History, Op, World

RESERVED = [s.value for s in RESERVED_STATES]


@dataclass
class Report:
    classes: Counter[str] = field(default_factory=Counter)
    by_kind: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    problems: list[str] = field(default_factory=list)  # each lost/duplicated write, each breach
    invariants: dict[str, str] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)

    def put(self, op: Op, verdict: str, why: str = "") -> None:
        self.classes[verdict] += 1
        self.by_kind[op.kind][verdict] += 1
        if verdict in ("lost", "duplicated", "phantom"):
            self.problems.append(f"{verdict}: {op.kind} #{op.id} {op.key} told {op.status}: {why}")

    def invariant(self, name: str, ok: bool, detail: str) -> None:
        self.invariants[name] = ("ok" if ok else "BROKEN") + f" — {detail}"
        if not ok:
            self.problems.append(f"invariant {name}: {detail}")

    @property
    def passed(self) -> bool:
        return not self.problems


class Databases:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.conns: dict[str, asyncpg.Connection] = {}

    async def __aenter__(self) -> "Databases":
        for name in ("jobs", "products", "subsidies"):
            self.conns[name] = await asyncpg.connect(self.platform.pg.superuser_url(name))
        return self

    async def __aexit__(self, *_: object) -> None:
        for conn in self.conns.values():
            await conn.close()

    async def pending_outbox(self) -> dict[str, int]:
        return {
            name: await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            for name, conn in self.conns.items()
        }

    async def unapplied_jobs_events(self) -> int:
        """Jobs events of the types subsidies consumes that its inbox does not hold."""
        published = {
            r["event_id"]
            for r in await self.conns["jobs"].fetch(
                "SELECT event_id FROM outbox WHERE subject = ANY($1::text[])",
                sorted(jobs_events.handlers),
            )
        }
        applied = {
            r["event_id"]
            for r in await self.conns["subsidies"].fetch(
                "SELECT event_id FROM inbox WHERE consumer = $1", jobs_events.durable
            )
        }
        return len(published - applied)


async def settle(platform: Platform, stall: float, cap: float = 3600) -> tuple[float, int]:
    """Wait until every outbox row is published and subsidies applied every jobs event; returns
    the backlog (outbox rows and jobs events still to go) when it began, and the seconds it took,
    or -1 if the backlog stopped shrinking for ``stall`` seconds (or ``cap``
    passed). A backlog that still shrinks is the platform catching up, not a loss: on a busy
    machine the consumers can end a run far behind the writers."""
    start = last_progress = time.monotonic()
    best: int | None = None
    first = 0
    async with Databases(platform) as dbs:
        while True:
            pending = await dbs.pending_outbox()
            backlog = sum(pending.values()) + await dbs.unapplied_jobs_events()
            now = time.monotonic()
            first = backlog if best is None else first
            if backlog == 0:
                return now - start, first
            if best is None or backlog < best:
                best, last_progress = backlog, now
            if now - last_progress > stall or now - start > cap:
                return -1.0, first
            await asyncio.sleep(1.0)


async def check(platform: Platform, world: World, history: History) -> Report:
    report = Report()
    async with Databases(platform) as dbs:
        jobs, products, subsidies = dbs.conns["jobs"], dbs.conns["products"], dbs.conns["subsidies"]
        await _sales(report, history, products, platform, world)
        await _placements(report, history, jobs, subsidies)
        await _approvals(report, history, subsidies)
        await _payments(report, history, subsidies)
        await _funds(report, subsidies, world)
        pending = await dbs.pending_outbox()
        report.invariant(
            "outbox published",
            not any(pending.values()),
            "rows still pending: " + ", ".join(f"{k} {v}" for k, v in pending.items()),
        )
        unapplied = await dbs.unapplied_jobs_events()
        report.invariant(
            "jobs events applied", unapplied == 0, f"{unapplied} jobs events not in the inbox"
        )
        dead = await subsidies.fetchval("SELECT count(*) FROM dead_letters")
        report.invariant("no dead letters", dead == 0, f"{dead} dead letters in subsidies")
        for name, conn in dbs.conns.items():
            report.figures[f"{name} outbox rows"] = await conn.fetchval(
                "SELECT count(*) FROM outbox"
            )
    await _audit(report, platform)
    return report


def _classify(report: Report, op: Op, counts: list[int], why: str) -> None:
    """``counts``: how many times each database that should hold the write holds it."""
    if any(c > 1 for c in counts):
        report.put(op, "duplicated", why)
    elif op.outcome == "ok":
        report.put(op, "ok" if all(c == 1 for c in counts) else "lost", why)
    elif op.outcome == "fail":
        report.put(op, "failed" if not any(counts) else "phantom", why)
    else:
        report.put(op, "unknown (applied)" if all(counts) else "unknown (absent)", why)


async def _sales(
    report: Report, history: History, products: Any, platform: Platform, world: World
) -> None:
    rows = await products.fetch(
        "SELECT store_id::text AS store, receipt_number, count(*) AS n, sum(total_fen) AS fen "
        "FROM sales WHERE kind = 'sale' GROUP BY 1, 2"
    )
    held = {(r["store"], r["receipt_number"]): (r["n"], r["fen"]) for r in rows}
    for op in history.ops:
        if op.kind not in ("sale", "batch_sale"):
            continue
        n, fen = held.get((op.key["store_id"], op.key["receipt"]), (0, 0))
        if n == 1 and fen != op.key["fen"]:
            report.put(op, "lost", f"stored {fen} fen, sent {op.key['fen']}")
            continue
        _classify(report, op, [n], f"sales rows {n}")
    sales_fen = await products.fetchval("SELECT coalesce(sum(total_fen), 0)::bigint FROM sales")
    daily = await products.fetchval("SELECT coalesce(sum(fen), 0)::bigint FROM sales_daily_rollup")
    monthly = await products.fetchval(
        "SELECT coalesce(sum(fen), 0)::bigint FROM sales_monthly_rollup"
    )
    per_key = await products.fetch(
        "SELECT s.store_id, l.product_id, sum(l.fen) AS fen FROM sale_lines l "
        "JOIN sales s ON s.id = l.sale_id GROUP BY 1, 2 "
        "EXCEPT SELECT store_id, product_id, sum(fen) FROM sales_monthly_rollup GROUP BY 1, 2"
    )
    gateway = next(p.url for p in platform.replicas_of("gateway") if p.alive())
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        r = await client.get(
            "/v1/products/statistics", headers=world.auditor, params={"group_by": "store"}
        )
    stats = r.json()["total"]["fen"] if r.status_code == 200 else None
    report.figures["sales fen"] = sales_fen
    report.invariant(
        "sales = rollups = statistics",
        sales_fen == daily == monthly == stats and not per_key,
        f"sales {sales_fen}, daily rollup {daily}, monthly rollup {monthly}, statistics {stats}, "
        f"{len(per_key)} store×product sums differ",
    )


async def _placements(report: Report, history: History, jobs: Any, subsidies: Any) -> None:
    placements = {
        r["worker"]: (r["n"], r["pid"])
        for r in await jobs.fetch(
            "SELECT worker_id::text AS worker, count(*) AS n, min(id::text) AS pid "
            "FROM placements GROUP BY 1"
        )
    }
    mirrored = Counter(
        r["pid"] for r in await subsidies.fetch("SELECT placement_id::text AS pid FROM placements")
    )
    months = Counter(
        (r["pid"], r["month"])
        for r in await jobs.fetch(
            "SELECT placement_id::text AS pid, month FROM placement_confirmations "
            "WHERE supersedes IS NULL"
        )
    )
    seen = Counter(
        (r["pid"], r["month"])
        for r in await subsidies.fetch(
            "SELECT placement_id::text AS pid, month FROM month_confirmations"
        )
    )
    lines = Counter(
        r["line_key"]
        for r in await subsidies.fetch(
            "SELECT line_key FROM application_lines WHERE program_code = 'chaos-monthly'"
        )
    )
    for op in history.ops:
        if op.kind == "placement":
            n, pid = placements.get(op.key["worker_id"], (0, None))
            told = op.result.get("placement_id")
            if told and pid and told != pid:
                report.put(op, "lost", f"told placement {told}, jobs holds {pid}")
                continue
            counts = [n, mirrored[pid] if pid else 0]
            _classify(report, op, counts, f"jobs {counts[0]}, subsidies {counts[1]}")
        elif op.kind == "confirmation":
            key = (op.key["placement_id"], op.key["month"])
            counts = [months[key], seen[key], lines[f"{key[0]}:{key[1]}"]]
            _classify(
                report,
                op,
                counts,
                f"jobs {counts[0]}, subsidies confirmations {counts[1]}, lines {counts[2]}",
            )
    report.figures["application lines"] = sum(lines.values())


async def _approvals(report: Report, history: History, subsidies: Any) -> None:
    apps = {
        r["id"]: r
        for r in await subsidies.fetch(
            "SELECT id::text AS id, state, approved_by, amount_fen FROM applications"
        )
    }
    approved = Counter(
        r["entity_id"]
        for r in await subsidies.fetch(
            "SELECT entity_id::text AS entity_id FROM audit_entries WHERE action = 'approved'"
        )
    )
    for op in history.ops:
        if op.kind != "approval":
            continue
        app_id = op.key["application_id"]
        app = apps.get(app_id)
        held = int(app is not None and app["approved_by"] is not None)
        counts = [held, approved[app_id]]
        _classify(report, op, counts, f"approved {held}, audit entries {counts[1]}")
        if op.outcome == "ok" and app and op.result.get("amount_fen") != app["amount_fen"]:
            report.put(op, "lost", f"told {op.result.get('amount_fen')}, held {app['amount_fen']}")
    report.figures["applications"] = Counter(r["state"] for r in apps.values())


async def _payments(report: Report, history: History, subsidies: Any) -> None:
    batches = {r["id"] for r in await subsidies.fetch("SELECT id::text AS id FROM payment_batches")}
    states = {
        r["id"]: r["state"]
        for r in await subsidies.fetch("SELECT id::text AS id, state FROM applications")
    }
    paid = Counter(
        r["entity_id"]
        for r in await subsidies.fetch(
            "SELECT entity_id::text AS entity_id FROM audit_entries WHERE action = 'paid'"
        )
    )
    for op in history.ops:
        if op.kind != "payment":
            continue
        batch_id = op.result.get("batch_id")
        if op.outcome != "ok":
            _classify(report, op, [0], "no batch told")  # an unknown batch is counted below
            continue
        if batch_id not in batches:
            report.put(op, "lost", f"batch {batch_id} not held")
            continue
        apps = op.result.get("applications", [])
        if any(paid[a] > 1 for a in apps):
            report.put(op, "duplicated", "an application paid twice in the audit trail")
        elif op.result.get("results_ok") and any(states.get(a) != "paid" for a in apps):
            report.put(op, "lost", "bank results told ok, applications not paid")
        else:
            report.put(op, "ok")
    report.figures["payment batches"] = len(batches)


async def _funds(report: Report, subsidies: Any, world: World) -> None:
    fund = await subsidies.fetchrow(
        "SELECT budget_fen, reserved_fen, paid_fen FROM funds WHERE id = $1::uuid", world.fund_id
    )
    reserved = await subsidies.fetchval(
        "SELECT coalesce(sum(amount_fen), 0)::bigint FROM applications "
        "WHERE state = ANY($1::text[])",
        RESERVED,
    )
    paid = await subsidies.fetchval(
        "SELECT coalesce(sum(amount_fen), 0)::bigint FROM applications WHERE state = 'paid'"
    )
    report.invariant(
        "fund reservations",
        fund["reserved_fen"] == reserved
        and fund["paid_fen"] == paid
        and fund["reserved_fen"] + fund["paid_fen"] <= fund["budget_fen"],
        f"fund reserved {fund['reserved_fen']} (applications {reserved}), paid {fund['paid_fen']}"
        f" (applications {paid}), budget {fund['budget_fen']}",
    )


async def _audit(report: Report, platform: Platform) -> None:
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.subsidies.audit", "verify"],
        cwd=ROOT,
        env=platform.ops_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report.invariant(
        "audit chain verifies",
        result.returncode == 0,
        (result.stdout.strip().splitlines() or [result.stderr.strip()[-300:]])[-1][:300],
    )
