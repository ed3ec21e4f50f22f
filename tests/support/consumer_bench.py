"""The subsidies consumer of jobs events, measured: N placements x M months confirmed, every
event fed through the real consumer (``ConsumerRunner.handle``: signature check, envelope,
inbox, handler, commit, ack) on a fresh PostgreSQL (or SQLite) database; no NATS, so what is
measured is the consumer's own cost per event.

Prints events/s and statements per event (SELECT/INSERT/UPDATE/DELETE, as
tests/support/queries.py counts them) for the registrations,
the placements and the month confirmations (early and late months apart: a placement's later
months used to cost more), and a fingerprint of the outcome (grants, applications, audit chain)
so that two versions of the code can be checked to decide the same.

    .venv/bin/python -m tests.support.consumer_bench --placements 200 --months 24
    .venv/bin/python -m tests.support.consumer_bench --db sqlite

Offered as a scenario for ``make bench`` (tests/bench); speed is never asserted in the suite.
"""

import argparse
import asyncio
import hashlib
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from deploy.topology import PROCESSES
from services.subsidies.audit import service as audit
from services.subsidies.audit.tables import AuditEntry
from services.subsidies.consumers import jobs_events
from services.subsidies.funds.tables import Fund
from services.subsidies.programs.tables import EmployerKind, Program
from services.subsidies.queries import AL, A
from services.subsidies.review.tables import Application
from shared.db import make_engine, make_sessionmaker
from shared.events import Envelope
from shared.events.consumer import ConsumerRunner
from shared.events.streams import subject_for
from shared.logging import configure_logging
from shared.migrations import upgrade_to_head
from tests.support.events import signer, verifier
from tests.support.infra import asyncpg_url, sqlalchemy_url

START = date(2020, 1, 1)
# The programs a Haizhu partner placement is evaluated against: a monthly wage subsidy with a
# cap (later months are refused by it), a one-off for the employer after three months, and an
# employer's monthly grant that may not be stacked with the first (refused by stacking).
PROGRAMS: list[dict[str, Any]] = [
    dict(code="A-WAGE", beneficiary_kind="worker", amount_rule="per_person_month",
         amount_fen=50_000, required_months=1, cap_months=6),
    dict(code="B-STABLE", beneficiary_kind="employer", amount_rule="one_off",
         amount_fen=100_000, required_months=3),
    dict(code="C-EMPLOYER", beneficiary_kind="employer", amount_rule="per_person_month",
         amount_fen=20_000, required_months=1, not_stackable_with=["A-WAGE"]),
]  # fmt: skip


def ident(kind: str, i: int) -> uuid.UUID:
    """Deterministic ids, so that the outcome's fingerprint compares across runs."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"consumer-bench/{kind}/{i}")


def say(*parts: Any) -> None:
    """Results go to stderr; the service's own log (stdout, as in production) may be dropped."""
    print(*parts, file=sys.stderr, flush=True)


def month_of(index: int) -> str:
    return f"{START.year + index // 12:04d}-{index % 12 + 1:02d}"


@dataclass
class _Seq:
    stream: int


@dataclass
class _Meta:
    num_delivered: int
    sequence: _Seq


@dataclass
class FakeMsg:
    """A JetStream message as the consumer reads it (no server: acks are only counted)."""

    subject: str
    data: bytes
    headers: dict[str, str]
    metadata: _Meta
    outcome: list[str] = field(default_factory=list)

    async def ack(self) -> None:
        self.outcome.append("ack")

    async def nak(self, delay: float | None = None) -> None:
        self.outcome.append("nak")

    async def term(self) -> None:
        self.outcome.append("term")


_seq = iter(range(1, 10**9))


def message(event_type: str, data: dict[str, Any], n: int, namespace: str = "") -> FakeMsg:
    """The message the jobs relay would publish (signed), numbered ``n`` in the run."""
    env = Envelope(
        id=ident(f"event/{namespace}", n),
        type=event_type,
        source="jobs",
        data=data,
        occurred_at=datetime(2020, 1, 1, tzinfo=UTC),
    )
    body = env.model_dump_json().encode()
    return FakeMsg(
        subject_for(event_type, namespace),
        body,
        signer("jobs").headers(body),
        _Meta(1, _Seq(next(_seq))),
    )


def workload(placements: int, months: int) -> dict[str, list[FakeMsg]]:
    """Events in the order jobs would publish them: registrations, placements, then each
    month confirmed for every placement (month after month)."""
    n = iter(range(10**9))
    phases: dict[str, list[FakeMsg]] = {"registrations": [], "placements": []}
    for p in range(placements):
        worker, employer = ident("worker", p), ident("employer", p % 20)
        phases["registrations"].append(
            message(
                "jobs.worker.registered",
                {"worker_id": str(worker), "township": "Yongyang", "poor_household": True,
                 "registered_on": "2019-12-01", "name_masked": "王*明",
                 "national_id_masked": "522***********1234"},
                next(n),
            )
        )  # fmt: skip
        phases["placements"].append(
            message(
                "jobs.placement.started",
                {"placement_id": str(ident("placement", p)), "worker_id": str(worker),
                 "employer_id": str(employer), "employer_kind": "haizhu_partner",
                 "poor_household": True, "township": "Yongyang",
                 "start_date": START.isoformat(), "monthly_wage_fen": 350_000},
                next(n),
            )
        )  # fmt: skip
    for m in range(months):
        phase = phases.setdefault(f"months {m // 6 * 6 + 1}-{m // 6 * 6 + 6}", [])
        for p in range(placements):
            phase.append(
                message(
                    "jobs.placement.month_confirmed",
                    {"confirmation_id": str(ident("confirmation", p * 1000 + m)),
                     "placement_id": str(ident("placement", p)),
                     "worker_id": str(ident("worker", p)), "month": month_of(m),
                     "wage_paid_fen": 350_000},
                    next(n),
                )
            )  # fmt: skip
    return phases


class Counter:
    """Statements the engine runs (by first word)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.by_kind: dict[str, int] = {}
        self.last: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        word = statement.lstrip().split(None, 1)[0].upper()
        self.by_kind[word] = self.by_kind.get(word, 0) + 1
        self.last.append(" ".join(statement.split())[:150])

    def take(self) -> dict[str, int]:
        taken, self.by_kind = self.by_kind, {}
        return taken


DML = {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}


async def seed(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as s, s.begin():
        fund = Fund(code="BENCH", name="Bench fund", budget_fen=10**12)
        s.add(fund)
        await s.flush()
        for p in PROGRAMS:
            s.add(
                Program(
                    **({"not_stackable_with": []} | p),
                    name=p["code"],
                    employer_kind=EmployerKind.haizhu_partner,
                    poor_only=True,
                    valid_from=START,
                    fund_id=fund.id,
                    version=1,
                    is_current=True,
                    created_by="bench",
                )
            )


async def fingerprint(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """What the events decided, independent of generated ids and times."""
    async with sessionmaker() as s:
        lines = (
            await s.execute(
                select(
                    AL.program_code,
                    AL.line_key,
                    AL.amount_fen,
                    A.beneficiary_id,
                    A.amount_fen,
                    A.state,
                ).join(Application, A.id == AL.application_id)
            )
        ).all()
        apps = await s.scalar(select(func.count()).select_from(Application))
        entries = await s.scalar(select(func.count()).select_from(AuditEntry))
        verdict = await audit.verify_chain(s, [])
    digest = hashlib.sha256(repr(sorted(tuple(map(str, r)) for r in lines)).encode()).hexdigest()
    return {
        "lines": len(lines),
        "applications": apps,
        "granted_fen": sum(r[2] for r in lines),
        "audit_entries": entries,
        "audit_chain_ok": verdict.ok,
        "outcome_sha256": digest[:16],
    }


def _row(phase: str, n: float, elapsed: float, cpu: float, statements: float) -> str:
    return (
        f"{phase:<16}{n:>8}{n / elapsed:>10.1f}{1000 * elapsed / n:>10.2f}"
        f"{1000 * cpu / n:>10.2f}{statements / n:>10.2f}"
    )


async def run(db: str, placements: int, months: int, *, show: bool = False) -> None:
    name = f"ew_bench_consumer_{uuid.uuid4().hex[:8]}"
    tmp = tempfile.TemporaryDirectory()
    if db == "postgresql":
        conn = await asyncpg.connect(asyncpg_url("postgres"))
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        url = sqlalchemy_url(name)
    else:
        url = f"sqlite+aiosqlite:///{Path(tmp.name) / 'subsidies.db'}"
    engine = make_engine(url)
    try:
        await upgrade_to_head(engine, PROCESSES["subsidies"])
        sessionmaker = make_sessionmaker(engine)
        audit.bind(sessionmaker, audit.ChainKey(b"bench-audit-key-0123456789abcdef"))
        await seed(sessionmaker)
        runner = ConsumerRunner(sessionmaker, None, [jobs_events], verifier=verifier())  # type: ignore[arg-type]
        counter = Counter(engine)
        say(f"{db}: {placements} placements x {months} months")
        say(f"{'phase':<16}{'events':>8}{'events/s':>10}{'ms/event':>10}{'cpu ms/ev':>10}"
            f"{'stmts/ev':>10}")  # fmt: skip
        totals = [0, 0.0, 0.0, 0]  # events, seconds, cpu seconds, statements
        for phase, msgs in workload(placements, months).items():
            counter.take()
            started, cpu = time.perf_counter(), time.process_time()
            for msg in msgs:
                counter.last = []
                await runner.handle(jobs_events, msg)  # type: ignore[arg-type]
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            bad = [m.outcome for m in msgs if m.outcome != ["ack"]]
            if bad:
                raise SystemExit(f"{phase}: {len(bad)} events not acked once: {bad[:3]}")
            dml = sum(v for k, v in counter.take().items() if k in DML)
            if show:  # the statements of the phase's last event
                say("\n".join(f"    {line}" for line in counter.last))
            say(_row(phase, len(msgs), elapsed, cpu, dml))
            totals = [t + x for t, x in zip(totals, [len(msgs), elapsed, cpu, dml], strict=True)]
        say(_row("all", *totals))
        say("outcome:", await fingerprint(sessionmaker))
    finally:
        await engine.dispose()
        tmp.cleanup()
        if db == "postgresql":
            conn = await asyncpg.connect(asyncpg_url("postgres"))
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--placements", type=int, default=100)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--show", action="store_true", help="statements of each phase's last event")
    args = parser.parse_args()
    configure_logging("subsidies", level="INFO", json=True)  # production defaults
    asyncio.run(run(args.db, args.placements, args.months, show=args.show))


if __name__ == "__main__":
    main()
