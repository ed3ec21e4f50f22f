"""The event plumbing as an operator sees it: each service's outbox backlog, re-publishing from
it, the dead letters its consumers kept (list, replay), and stream and consumer lag in NATS."""

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

from deploy.ops.common import (
    FAILED,
    OK,
    USAGE,
    ConfigurationError,
    NatsSettings,
    Progress,
    emit,
    load,
    nats_connection,
    one_line,
)
from deploy.topology import PROCESSES, PUBLISHERS, prepare_sessions, subscriptions


def backlog(args: argparse.Namespace) -> int:
    from shared.db import make_engine, make_sessionmaker
    from shared.events.metrics import outbox_backlog

    services = args.service or sorted(PUBLISHERS)
    unknown = [s for s in services if s not in PUBLISHERS]
    if unknown:
        print(f"no such service: {', '.join(unknown)}", file=sys.stderr)
        return USAGE

    async def one(service: str) -> tuple[int, float]:
        engine = make_engine(load(PROCESSES[service]).database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return await outbox_backlog(session, datetime.now(UTC))
        finally:
            await engine.dispose()

    progress = Progress(len(services), "backlog")
    rows, too_old = [], []
    for service in services:
        pending, oldest = asyncio.run(one(service))
        progress.step(service)
        rows.append({"service": service, "pending": pending, "oldest_seconds": round(oldest)})
        if args.max_age is not None and oldest > args.max_age:
            too_old.append(service)
    emit(rows, ["service", "pending", "oldest_seconds"], args.json)
    if too_old:
        print(f"older than {args.max_age:g} s: {', '.join(too_old)}", file=sys.stderr)
        return FAILED
    return OK


def republish(args: argparse.Namespace) -> int:
    from shared.events.reconcile import main

    publishers = {service: PROCESSES[service] for service in PUBLISHERS}
    main(publishers, [args.service, "--since-seq", str(args.since_seq)])
    return OK


async def _with_sessions(service: str, work: Any) -> Any:
    """Run ``work(settings, sessionmaker)`` on the service's database, as the service's
    handlers expect their sessions (deploy.topology.prepare_sessions)."""
    from shared.db import make_engine, make_sessionmaker

    settings = load(PROCESSES[service])
    engine = make_engine(settings.database_url)
    try:
        sessionmaker = make_sessionmaker(engine)
        prepare_sessions(service)(sessionmaker, settings)
        return await work(settings, sessionmaker)
    finally:
        await engine.dispose()


DEAD_LETTER_COLUMNS = [
    "id", "created_at", "consumer", "kind", "event_type", "stream_seq", "deliveries", "bytes",
    "replayed", "reason",
]  # fmt: skip


def dead_letters_list(args: argparse.Namespace) -> int:
    from shared.events.dead_letters import list_dead_letters
    from shared.logging import scrub_text

    async def work(_settings: Any, sessionmaker: Any) -> Any:
        async with sessionmaker() as session:
            return await list_dead_letters(session, replayed=args.all)

    letters = asyncio.run(_with_sessions(args.service, work))
    rows = [
        {
            "id": d.id,
            "created_at": d.created_at.isoformat(timespec="seconds"),
            "consumer": d.consumer,
            "kind": d.kind,
            "event_type": d.event_type,
            "stream_seq": d.stream_seq,
            "deliveries": d.deliveries,
            "bytes": d.size,  # the body itself may hold personal data: never shown
            "replayed": f"{d.replay_outcome} {d.replayed_at.isoformat(timespec='seconds')}"
            if d.replayed_at
            else None,
            "reason": scrub_text(one_line(d.reason, 200)),
        }
        for d in letters
    ]
    emit(rows, DEAD_LETTER_COLUMNS, args.json)
    return OK


def dead_letters_replay(args: argparse.Namespace) -> int:
    from shared.events.dead_letters import pending_ids, replay
    from shared.events.signing import EventVerifier
    from shared.logging import scrub_text

    subs = subscriptions(args.service)
    consumed = sorted({s.publisher for s in subs})

    async def work(settings: Any, sessionmaker: Any) -> list[Any]:
        try:  # as strict as the service at start-up: production keys, never development ones
            settings.check_event_keys(consumed)
            verifier = EventVerifier(settings.event_public_key_map(consumed))
        except ValueError as exc:
            raise ConfigurationError(exc) from exc
        if args.all:
            async with sessionmaker() as session:
                ids = await pending_ids(session)
        else:
            ids = args.ids
        progress = Progress(len(ids), "replay")
        results = []
        for letter_id in ids:
            result = await replay(
                sessionmaker, subs, verifier, letter_id, namespace=settings.event_namespace
            )
            progress.step(f"{letter_id} {result.outcome}")
            results.append(result)
        return results

    results = asyncio.run(_with_sessions(args.service, work))
    rows = [
        {"id": r.id, "outcome": r.outcome, "detail": scrub_text(one_line(r.detail, 300))}
        for r in results
    ]
    emit(rows, ["id", "outcome", "detail"], args.json)
    unsettled = [str(r.id) for r in results if not r.settled]
    if unsettled:
        print(f"not replayed: {', '.join(unsettled)}", file=sys.stderr)
        return FAILED
    return OK


LAG_COLUMNS = [
    "stream", "messages", "bytes", "last_seq", "consumer", "pending", "ack_pending",
    "redelivered", "last_active",
]  # fmt: skip


async def _stream_lag(js: Any, stream: str) -> list[dict[str, Any]]:
    """One row per durable consumer of the stream (one with no consumer if it has none)."""
    info = await js.stream_info(stream)
    base = {
        "stream": stream,
        "messages": info.state.messages,
        "bytes": info.state.bytes,
        "last_seq": info.state.last_seq,
    }
    rows = []
    for c in sorted(await js.consumers_info(stream), key=lambda c: c.name or ""):
        last = c.delivered.last_active if c.delivered else None
        rows.append(
            base
            | {
                "consumer": c.name,
                "pending": c.num_pending or 0,
                "ack_pending": c.num_ack_pending or 0,
                "redelivered": c.num_redelivered or 0,
                "last_active": last.isoformat(timespec="seconds") if last else None,
            }
        )
    empty = dict.fromkeys(("consumer", "pending", "ack_pending", "redelivered", "last_active"))
    return rows or [base | empty]


def lag(args: argparse.Namespace) -> int:
    import nats.js.errors

    from shared.events.streams import stream_name

    settings = NatsSettings()

    async def run() -> list[dict[str, Any]]:
        async with nats_connection(settings, "ops-lag") as nc:
            js = nc.jetstream(timeout=3)
            streams = [stream_name(p, settings.event_namespace) for p in sorted(PUBLISHERS)]
            progress = Progress(len(streams), "lag")
            rows = []
            for stream in streams:
                try:
                    rows += await _stream_lag(js, stream)
                except nats.js.errors.NotFoundError:
                    print(f"no stream {stream} (its service never started)", file=sys.stderr)
                progress.step(stream)
            return rows

    rows = asyncio.run(run())
    emit(rows, LAG_COLUMNS, args.json)
    behind = [
        f"{r['consumer']} ({r['pending']})"
        for r in rows
        if args.max_pending is not None and (r["pending"] or 0) > args.max_pending
    ]
    if behind:
        print(f"more than {args.max_pending} pending: {', '.join(behind)}", file=sys.stderr)
        return FAILED
    return OK
