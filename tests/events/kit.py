"""A minimal publisher and consumer built on the shared event kit, used to test the kit itself
on real PostgreSQL and NATS without depending on any service's domain. Also runnable as a
process (``python -m tests.events.kit``) so tests can kill it at fault points."""

import argparse
import asyncio
import os
import uuid

from sqlalchemy import Column, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import NAMING_CONVENTION, make_engine, make_sessionmaker
from shared.events import (
    ConsumerRunner,
    Envelope,
    Event,
    OutboxRelay,
    PoisonEvent,
    Subscription,
    add_event,
    add_event_tables,
    ensure_stream,
)
from tests.support import events as test_keys
from tests.support.infra import connect_harness

metadata = MetaData(naming_convention=NAMING_CONVENTION)
notes = Table(
    "notes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("body", String(200), nullable=False),
)
# One row per applied event: a second effect of the same event would be a second row.
effects = Table(
    "effects",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("note_id", String(36), nullable=False),
    Column("event_id", String(36), nullable=False),
)
add_event_tables(metadata)


class NoteWritten(Event):
    event_type = "kit.note.written"
    note_id: str
    body: str


async def write_note(session: AsyncSession, body: str) -> str:
    """A state change and its event, in the caller's transaction."""
    note_id = str(uuid.uuid4())
    await session.execute(insert(notes).values(id=note_id, body=body))
    await add_event(session, NoteWritten(note_id=note_id, body=body))
    return note_id


def subscription(durable: str = "kit-effects") -> Subscription:
    sub = Subscription(durable=durable, publisher="kit")

    @sub.handles("kit.note.written")
    async def apply(session: AsyncSession, data: NoteWritten, envelope: Envelope) -> None:
        if data.body == "poison":
            raise PoisonEvent("a note with body 'poison' can never be applied")
        await session.execute(
            insert(effects).values(
                id=str(uuid.uuid4()), note_id=data.note_id, event_id=str(envelope.id)
            )
        )

    return sub


async def effect_count(session: AsyncSession, note_id: str | None = None) -> int:
    query = select(func.count()).select_from(effects)
    if note_id:
        query = query.where(effects.c.note_id == note_id)
    return int(await session.scalar(query) or 0)


async def _main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["write-and-relay", "relay", "consume"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--nats", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--body", default="hello")
    args = parser.parse_args()
    engine = make_engine(args.db)
    sessionmaker = make_sessionmaker(engine)
    nc = await connect_harness(args.nats)
    js = nc.jetstream()
    await ensure_stream(js, "kit", namespace=args.namespace)
    if args.role == "write-and-relay":
        async with sessionmaker() as session, session.begin():
            note_id = await write_note(session, args.body)
        print(note_id, flush=True)
    if args.role in ("write-and-relay", "relay"):
        relay = OutboxRelay(
            sessionmaker,
            js,
            service="kit",
            signer=test_keys.signer("kit"),
            namespace=args.namespace,
        )
        await relay.relay_once()
    if args.role == "consume":
        runner = ConsumerRunner(
            sessionmaker,
            js,
            [subscription()],
            verifier=test_keys.verifier(),
            namespace=args.namespace,
            retry_delay=0.1,
            ack_wait=1.0,
        )
        tasks = await runner.start()
        deadline = float(os.environ.get("KIT_CONSUME_SECONDS", "5"))
        await asyncio.sleep(deadline)  # a process that lives for a while, until killed
        for t in tasks:
            t.cancel()
    await nc.close()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(_main())
