"""The outbox relay's own cost per event, in-process: N events written to the event kit's outbox
on a fresh PostgreSQL database, then relayed to JetStream batch by batch (``relay_once``), with
this process's CPU time and the wall time per event. Three rounds; nothing else runs in the
process, so the CPU is the relay's (SQLAlchemy, asyncpg, the signature, the NATS client).

    .venv/bin/python -m tests.support.relay_bench                 # 3,000 events per round
    .venv/bin/python -m tests.support.relay_bench --events 10000 --nats nats://127.0.0.1:4222

``make bench`` measures the same in the running products service ("relay CPU per event");
this one isolates it, to compare two versions of shared/events/relay.py side by side. Speed is
never asserted in the suite.
"""

import argparse
import asyncio
import time
import uuid

import asyncpg
import nats

from shared.db import make_engine, make_sessionmaker
from shared.events import OutboxRelay
from tests.events import kit
from tests.support.events import signer
from tests.support.infra import PG_URL, asyncpg_url, sqlalchemy_url


async def relay_round(relay: OutboxRelay, sessions, events: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    async with sessions() as s, s.begin():
        for n in range(events):
            await kit.write_note(s, f"n{n}")
    began, cpu = time.perf_counter(), time.process_time()
    sent_in_all = 0
    while True:
        sent, failed = await relay.relay_once()
        if failed:
            raise RuntimeError("a publish failed: is the NATS server up?")
        sent_in_all += sent
        if sent == 0:
            break
    cpu, wall = time.process_time() - cpu, time.perf_counter() - began
    if sent_in_all != events:
        raise RuntimeError(f"relayed {sent_in_all} of {events}")
    return cpu * 1000 / events, wall * 1000 / events


async def main(events: int, rounds: int, nats_url: str) -> None:
    name = f"ew_relaybench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(asyncpg_url("postgres"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    engine = make_engine(sqlalchemy_url(name))
    nc = await nats.connect(nats_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(kit.metadata.create_all)
        sessions = make_sessionmaker(engine)
        namespace = f"rb{uuid.uuid4().hex[:6]}"
        js = nc.jetstream()
        await kit.ensure_stream(js, "kit", namespace=namespace)
        relay = OutboxRelay(sessions, js, service="kit", signer=signer("kit"), namespace=namespace)
        print(f"PostgreSQL {PG_URL}, NATS {nats_url}: {events} events per round")
        for n in range(rounds):
            cpu, wall = await relay_round(relay, sessions, events)
            print(f"round {n + 1}: {cpu:.3f} ms CPU and {wall:.3f} ms wall per event")
        await js.delete_stream(f"{namespace.upper()}_KIT")
    finally:
        await nc.close()
        await engine.dispose()
        admin = await asyncpg.connect(asyncpg_url("postgres"))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--nats", default="nats://127.0.0.1:4222", help="a NATS with JetStream")
    args = parser.parse_args()
    asyncio.run(main(args.events, args.rounds, args.nats))
