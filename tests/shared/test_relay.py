"""The relay on both databases: a batch is published one row at a time, in order, and the rows
it published are marked together (one executemany), each with its own stream sequence; a row the
broker refuses stops the batch there without losing the marks of the rows before it."""

from collections.abc import AsyncIterator

import pytest
from nats.js import JetStreamContext
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import make_sessionmaker
from shared.events import Envelope, Event, OutboxRelay, add_event, ensure_stream
from shared.events.outbox import outbox_t
from shared.events.streams import stream_name
from tests.support.events import signer
from tests.support.infra import connect_harness


class Counted(Event):
    event_type = "products.relay.counted"
    n: int


@pytest.fixture
async def js(nats_url: str, namespace: str) -> AsyncIterator[JetStreamContext]:
    nc = await connect_harness(nats_url)
    jetstream = nc.jetstream()
    await ensure_stream(jetstream, "products", namespace=namespace)
    yield jetstream
    await nc.close()


async def write(engine: AsyncEngine, count: int) -> list[int]:
    async with make_sessionmaker(engine)() as s, s.begin():
        for n in range(count):
            await add_event(s, Counted(n=n))
        return list((await s.scalars(select(outbox_t.c.seq).order_by(outbox_t.c.seq))).all())


async def rows(engine: AsyncEngine) -> dict[int, dict]:
    async with make_sessionmaker(engine)() as s:
        result = await s.execute(select(outbox_t))
        return {r.seq: dict(r._mapping) for r in result}


def relay_for(engine: AsyncEngine, js: JetStreamContext, namespace: str, **options) -> OutboxRelay:
    return OutboxRelay(
        make_sessionmaker(engine),
        js,
        service="products",
        signer=signer("products"),
        namespace=namespace,
        **options,
    )


async def stream_numbers(js: JetStreamContext, namespace: str, expected: int) -> list[int]:
    sub = await js.pull_subscribe(
        f"{namespace}.products.>", durable="relay-check", stream=stream_name("products", namespace)
    )
    msgs = await sub.fetch(expected, timeout=5)
    return [Envelope.model_validate_json(m.data).data["n"] for m in msgs]


async def test_each_published_row_is_marked_with_its_own_stream_sequence(engine, js, namespace):
    seqs = await write(engine, 25)
    relay = relay_for(engine, js, namespace, batch_size=10)
    assert await relay.relay_once() == (10, False)
    assert await relay.relay_once() == (10, False)
    assert await relay.relay_once() == (5, False)
    assert await relay.relay_once() == (0, False)
    marked = await rows(engine)
    assert [marked[q]["stream_seq"] for q in seqs] == list(range(1, 26))
    assert all(marked[q]["published_at"] is not None for q in seqs)
    assert {marked[q]["attempts"] for q in seqs} == {1}
    assert {marked[q]["last_error"] for q in seqs} == {None}
    assert await stream_numbers(js, namespace, 25) == list(range(25))


async def test_a_refused_row_keeps_the_marks_before_it(engine, js, namespace):
    seqs = await write(engine, 6)
    async with make_sessionmaker(engine)() as s, s.begin():
        await s.execute(
            update(outbox_t).where(outbox_t.c.seq == seqs[3]).values(subject="nostream.x")
        )
    relay = relay_for(engine, js, namespace, publish_timeout=1.0)
    assert await relay.relay_once() == (3, True)
    marked = await rows(engine)
    assert [marked[q]["stream_seq"] for q in seqs] == [1, 2, 3, None, None, None]
    assert [marked[q]["attempts"] for q in seqs] == [1, 1, 1, 1, 0, 0]
    assert marked[seqs[3]]["last_error"]
    assert marked[seqs[4]]["published_at"] is None
