"""``python -m deploy.ops`` as an operator runs it (a process of its own, settings from the
environment): each subcommand's happy path and one failure, and the documented exit codes."""

import asyncio
import json
import os
import sys
import uuid
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from nats.js.api import AckPolicy, ConsumerConfig
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from deploy.ops.cli import main
from services.subsidies.audit import service as audit
from services.subsidies.audit.tables import AuditEntry
from services.subsidies.consumers import subscriptions
from services.subsidies.eligibility.tables import Placement
from shared.db import make_engine, make_sessionmaker
from shared.events import Envelope, ensure_stream
from shared.events.dead_letters import replay
from tests.subsidies.factories import JobsFeed
from tests.support.apps import TEST_AUDIT_KEY, TEST_IDENTITY_SECRET, TEST_PII_KEY
from tests.support.events import EVENT_PUBLIC_KEYS, event_private_key, verifier
from tests.support.infra import TEST_NATS_PASSWORDS, connect_harness, wait_until

ROOT = Path(__file__).resolve().parents[2]
DEAD_DB = "postgresql+asyncpg://nobody@127.0.0.1:1/none"


async def ops(*argv: str, **env: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "deploy.ops",
        *argv,
        cwd=ROOT,
        env=os.environ
        | {"EW_ENV": "test", "EW_IDENTITY_SECRET": TEST_IDENTITY_SECRET, "EW_PII_KEY": TEST_PII_KEY}
        | env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


def dbs(databases: Any) -> dict[str, str]:
    return {
        "GATEWAY_DATABASE_URL": databases.url("gateway"),
        "JOBS_DATABASE_URL": databases.url("jobs"),
        "PRODUCTS_DATABASE_URL": databases.url("products"),
        "SUBSIDIES_DATABASE_URL": databases.url("subsidies"),
        "SUBSIDIES_AUDIT_KEY": TEST_AUDIT_KEY,
    }


async def test_help_and_usage_errors(capsys: Any) -> None:
    status, out, _ = await ops("--help")  # the module runs as a process of its own
    assert status == 0 and "Exit codes" in out
    # The rest in this process: argparse answers before any setting is read.
    for sub in (
        ("user",), ("key",), ("audit",), ("audit", "anchor"), ("backlog",), ("lag",),
        ("dead-letters",), ("dead-letters", "list"), ("dead-letters", "replay"),
        ("republish",), ("migrate",),
    ):  # fmt: skip
        assert main([*sub, "--help"]) == 0, sub
        assert "usage:" in capsys.readouterr().out, sub
    for wrong in (
        ("bogus",),
        ("republish", "nowhere"),
        ("dead-letters", "list", "nowhere"),
        ("dead-letters", "replay", "subsidies"),  # ids or --all
        ("dead-letters", "replay", "subsidies", "1", "--all"),
        ("lag", "--max-pending", "many"),
    ):
        assert main(list(wrong)) == 2, wrong


async def test_a_missing_or_invalid_setting_is_one_line_and_exit_2(databases: Any) -> None:
    short_key = dbs(databases) | {"EW_PII_KEY": "too-short"}  # refused outside development
    runs = [
        ops(*argv, **short_key)
        for argv in (
            ("backlog",),
            ("dead-letters", "list", "subsidies"),
            ("audit", "anchor"),
            ("dead-letters", "replay", "subsidies", "--all"),
            ("key", "list"),
        )
    ]
    runs.append(ops("backlog", "jobs", JOBS_DATABASE_URL="not a database url"))
    runs.append(ops("lag", EW_EVENT_NAMESPACE="Not-A-Namespace"))
    results = await asyncio.gather(*runs)  # processes of their own, side by side
    for status, _, err in results:
        assert status == 2, err
        assert err.startswith("configuration: ") and len(err.strip().splitlines()) == 1, err
    assert all("EW_PII_KEY" in err for _, _, err in results[:5])
    assert "EW_EVENT_NAMESPACE" in results[-1][2]


async def test_user_and_key(databases: Any, namespace: str) -> None:
    env = dbs(databases)
    status, out, err = await ops(
        "user", "create", "--username", "clerk1", "--role", "bureau_clerk",
        "--password", "a-long-enough-password", **env,
    )  # fmt: skip
    assert status == 0, err
    status, _, err = await ops(
        "user", "create", "--username", "clerk1", "--role", "bureau_clerk",
        "--password", "a-long-enough-password", **env,
    )  # fmt: skip
    assert status == 1, err  # the username is taken
    status, out, err = await ops("key", "create", "--role", "auditor", "--name", "robot", **env)
    assert status == 0, err
    assert "ew_" in out
    status, out, err = await ops("key", "list", **env)
    assert status == 0 and "robot" in out, err
    status, _, err = await ops("key", "revoke", "00000000-0000-4000-8000-000000000000", **env)
    assert status == 1, err  # no such key
    status, _, err = await ops("key", "list", GATEWAY_DATABASE_URL=DEAD_DB)
    assert status == 3, err


async def test_backlog_republish_and_migrate(databases: Any, namespace: str) -> None:
    env = dbs(databases)
    status, out, err = await ops("backlog", **env)
    assert status == 0, err
    assert out.splitlines()[0] == "service\tpending\toldest_seconds"
    assert {line.split("\t")[0] for line in out.splitlines()[1:]} == {
        "jobs",
        "products",
        "subsidies",
    }
    assert "backlog [" in err  # the progress bar, on standard error
    status, out, err = await ops("backlog", "jobs", **(env | {"JOBS_DATABASE_URL": DEAD_DB}))
    assert status == 3, err
    status, out, err = await ops("republish", "products", "--since-seq", "0", **env)
    assert status == 0 and "0 event(s) of products" in out, err
    status, out, err = await ops("republish", "products", PRODUCTS_DATABASE_URL=DEAD_DB)
    assert status == 3, err
    owners = {f"{p.upper()}_MIGRATION_DATABASE_URL": databases.owner_url(p) for p in
              ("gateway", "jobs", "products", "subsidies")}  # fmt: skip
    status, out, err = await ops("migrate", "all", "upgrade", **env, **owners)
    assert status == 0, err
    assert "migrate [" in err and "4/4" in err
    assert (await ops("migrate", "all", "check", **env))[0] == 2
    status, _, err = await ops("migrate", "gateway", "upgrade", GATEWAY_DATABASE_URL=DEAD_DB)
    assert status == 3, err


def as_ops(nats_url: str, namespace: str, user: str = "ops") -> dict[str, str]:
    """NATS as the operators' user (or another), in this test's namespace."""
    return {
        "EW_NATS_URL": nats_url,
        "EW_NATS_USER": user,
        "EW_NATS_PASSWORD": TEST_NATS_PASSWORDS[user],
        "EW_EVENT_NAMESPACE": namespace,
    }


async def test_audit_anchor_and_verify(databases: Any, nats_url: str, namespace: str) -> None:
    engine = make_engine(databases.url("subsidies"))
    sessions = make_sessionmaker(engine)
    audit.bind(sessions, audit.ChainKey(TEST_AUDIT_KEY.encode(), 0))
    async with sessions() as s, s.begin():
        for action in ("created", "verified", "approved"):
            await audit.record(
                s, entity_type="application", entity_id=uuid.uuid4(), action=action,
                actor="user:ops-test", at=datetime.now(UTC),
            )  # fmt: skip
        head = await s.scalar(select(func.max(AuditEntry.seq)))
    await engine.dispose()
    env = dbs(databases) | as_ops(nats_url, namespace)

    status, out, err = await ops("audit", "anchor", **env)
    assert status == 0, err
    assert json.loads(out)["seq"] == head
    status, out, err = await ops("audit", "verify", **env)
    assert status == 0, err
    verdict = json.loads(out)
    assert verdict["ok"] is True and verdict["entries_checked"] == 3, verdict
    assert verdict["anchors_checked"] == 1

    superuser = create_async_engine(databases.superuser_url("subsidies"))
    async with superuser.begin() as conn:  # behind the service's back, its triggers off
        await conn.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        await conn.execute(
            text("UPDATE audit_entries SET actor = 'user:x' WHERE seq = :s"), {"s": head - 1}
        )
        await conn.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER USER"))
    await superuser.dispose()
    (status, out, err), (dead, _, dead_err) = await asyncio.gather(
        ops("audit", "verify", **env),
        ops("audit", "anchor", **(env | {"EW_NATS_URL": "nats://127.0.0.1:1"})),
    )
    assert status == 1, err
    assert json.loads(out)["first_broken_seq"] == head - 1
    assert dead == 3, dead_err


async def test_lag(databases: Any, nats_url: str, namespace: str) -> None:
    nc = await connect_harness(nats_url)
    try:
        js = nc.jetstream()
        stream = await ensure_stream(js, "jobs", namespace=namespace)
        for n in range(3):
            await js.publish(f"{namespace}.jobs.lag.probe", f"{n}".encode())
        await js.add_consumer(
            stream, ConsumerConfig(durable_name="lag-probe", ack_policy=AckPolicy.EXPLICIT)
        )
    finally:
        await nc.close()
    env = dbs(databases) | as_ops(nats_url, namespace)

    status, out, err = await ops("lag", **env)
    assert status == 0, err
    header, *lines = out.splitlines()
    assert header.split("\t") == ["stream", "messages", "bytes", "last_seq", "consumer", "pending",
                                  "ack_pending", "redelivered", "last_active"]  # fmt: skip
    rows = [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in lines]
    probe = next(r for r in rows if r["consumer"] == "lag-probe")
    assert (probe["stream"], probe["messages"], probe["last_seq"], probe["pending"]) == (
        stream, "3", "3", "3",
    )  # fmt: skip
    assert "lag [" in err  # the progress bar, on standard error
    over, within, refused = await asyncio.gather(
        ops("lag", "--max-pending", "2", "--json", **env),
        ops("lag", "--max-pending", "3", **env),
        # The gateway's NATS user may read no stream's state: a configuration error, said so.
        ops("lag", **(env | as_ops(nats_url, namespace, "gateway"))),
    )
    status, out, err = over
    assert status == 1 and "lag-probe (3)" in err, err
    assert any(r["consumer"] == "lag-probe" and r["pending"] == 3 for r in json.loads(out))
    assert within[0] == 0, within[2]
    status, _, err = refused
    assert status == 2 and "NATS user gateway may not" in err, err


async def dead_letters(svc: Any) -> list[Any]:
    async with svc.sessionmaker() as s:
        return list((await s.execute(text("SELECT * FROM dead_letters ORDER BY id"))).all())


async def test_dead_letters_list_and_replay(
    subsidies: Any, databases: Any, nats_url: str, namespace: str
) -> None:
    nc = await connect_harness(nats_url)
    js = nc.jetstream()
    feed = JobsFeed(js, namespace, subsidies)
    placement_id = str(uuid.uuid4())
    # Ended before it started: retried until the deliveries are used up (exhausted).
    ended = await feed.publish(
        "jobs.placement.ended", {"placement_id": placement_id, "end_date": "2020-03-01"}
    )
    # Not signed by jobs: never to be applied.
    forged = Envelope(type="jobs.employer.registered", source="jobs", data={"name": "ops-marker"})
    await js.publish(f"{namespace}.jobs.employer.registered", forged.model_dump_json().encode())
    await wait_until(lambda: _count(subsidies, 2), timeout=30, what="two dead letters")
    exhausted, unsigned = sorted(await dead_letters(subsidies), key=lambda d: d.kind)
    assert (exhausted.kind, unsigned.kind) == ("exhausted", "unsigned")
    env = (
        dbs(databases)
        | as_ops(nats_url, namespace, "subsidies")
        | {
            "EW_EVENT_PUBLIC_KEYS": json.dumps(EVENT_PUBLIC_KEYS),
            "EW_EVENT_SIGNING_KEY": event_private_key("subsidies"),
        }
    )

    status, out, err = await ops("dead-letters", "list", "subsidies", **env)
    assert status == 0, err
    rows = [line.split("\t") for line in out.splitlines()[1:]]
    assert {(r[0], r[3], r[4]) for r in rows} == {
        (str(exhausted.id), "exhausted", "jobs.placement.ended"),
        (str(unsigned.id), "unsigned", "-"),
    }
    assert "ops-marker" not in out  # never the body

    # The placement is still unknown: it fails again and stays a dead letter.
    status, out, err = await ops("dead-letters", "replay", "subsidies", str(exhausted.id), **env)
    assert status == 1 and "\tfailed\tRetryLater" in out, (out, err)
    await feed.placement(placement_id=uuid.UUID(placement_id))
    await wait_until(lambda: _placement(subsidies, placement_id), timeout=30, what="placement")

    status, out, err = await ops("dead-letters", "replay", "subsidies", "--all", "--json", **env)
    assert status == 1, err  # the unsigned one is refused
    outcomes = {r["id"]: r["outcome"] for r in json.loads(out)}
    assert outcomes == {exhausted.id: "applied", unsigned.id: "refused"}
    assert "replay [" in err and f"not replayed: {unsigned.id}" in err
    assert (await _placement(subsidies, placement_id)).end_date.isoformat() == "2020-03-01"
    status, out, _ = await ops("dead-letters", "list", "subsidies", "--all", "--json", **env)
    assert {r["id"]: (r["replayed"] or "")[:7] for r in json.loads(out)} == {
        exhausted.id: "applied", unsigned.id: ""
    }  # fmt: skip
    assert [d.id for d in await dead_letters(subsidies) if d.replayed_at is None] == [unsigned.id]

    # The rest through the kit itself, in this process (the code the command runs): replayed
    # again, then again as if its mark were lost: the inbox has it, no second effect.
    again = partial(replay, subsidies.sessionmaker, subscriptions, verifier(), namespace=namespace)
    assert (await again(exhausted.id)).outcome == "already_replayed"
    async with subsidies.sessionmaker() as s, s.begin():
        await s.execute(
            text("UPDATE dead_letters SET replayed_at = NULL WHERE id = :i"), {"i": exhausted.id}
        )
    assert (await again(exhausted.id)).outcome == "duplicate"
    assert (await again(12345678)).outcome == "not_found"
    assert str(ended.id) == exhausted.event_id
    await nc.close()


async def _count(svc: Any, n: int) -> bool:
    return len(await dead_letters(svc)) >= n


async def _placement(svc: Any, placement_id: str) -> Any:
    async with svc.sessionmaker() as s:
        return await s.get(Placement, uuid.UUID(placement_id))
