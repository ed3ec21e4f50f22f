"""add_event / add_events: an event goes to the outbox in the caller's transaction, its source
taken from its type (no caller names it), on PostgreSQL and on SQLite."""

import json

import pytest
import structlog
from sqlalchemy import select

from shared.db import make_sessionmaker
from shared.events import Event, add_event
from shared.events.outbox import add_events, outbox_t, publisher_of


class PostingClosed(Event):
    event_type = "jobs.posting.closed"
    posting_id: str


class SaleReported(Event):
    event_type = "products.sale.reported"
    event_version = 2
    sale_id: str


async def outbox_rows(engine):  # type: ignore[no-untyped-def]
    async with make_sessionmaker(engine)() as s:
        return (await s.execute(select(outbox_t).order_by(outbox_t.c.seq))).all()


class TestAddEvent:
    async def test_the_source_is_the_publisher_named_by_the_type(self, engine):
        async with make_sessionmaker(engine)() as session:
            envelope = await add_event(session, PostingClosed(posting_id="p-1"))
            await session.commit()
        assert (envelope.source, envelope.type) == ("jobs", "jobs.posting.closed")
        [row] = await outbox_rows(engine)
        stored = json.loads(row.payload)
        assert (row.subject, row.event_id) == ("jobs.posting.closed", str(envelope.id))
        assert (stored["source"], stored["data"]) == ("jobs", {"posting_id": "p-1"})

    async def test_many_events_of_several_publishers_in_one_statement(self, engine):
        async with make_sessionmaker(engine)() as session:
            envelopes = await add_events(
                session, [PostingClosed(posting_id="p-1"), SaleReported(sale_id="s-1")]
            )
            await session.commit()
        assert [(e.source, e.version) for e in envelopes] == [("jobs", 1), ("products", 2)]
        rows = await outbox_rows(engine)
        assert [json.loads(r.payload)["source"] for r in rows] == ["jobs", "products"]
        assert [r.attempts for r in rows] == [0, 0]
        assert all(r.published_at is None for r in rows)

    async def test_nothing_without_the_commit(self, engine):
        async with make_sessionmaker(engine)() as session:
            await add_event(session, PostingClosed(posting_id="p-1"))
            await session.rollback()
        assert await outbox_rows(engine) == []

    async def test_the_request_id_travels_in_the_headers(self, engine):
        structlog.contextvars.bind_contextvars(request_id="req-42")
        try:
            async with make_sessionmaker(engine)() as session:
                await add_event(session, PostingClosed(posting_id="p-1"))
                await session.commit()
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        [row] = await outbox_rows(engine)
        assert json.loads(row.headers) == {"X-Request-ID": "req-42"}

    async def test_no_events_write_nothing(self, engine):
        async with make_sessionmaker(engine)() as session:
            assert await add_events(session, []) == []
        assert await outbox_rows(engine) == []


@pytest.mark.parametrize(
    ("event_type", "publisher"),
    [("subsidies.grant.approved", "subsidies"), ("kit.note.written", "kit")],
)
def test_publisher_of(event_type, publisher):
    class Some(Event):
        pass

    Some.event_type = event_type
    assert publisher_of(Some()) == publisher
