"""Writing events: :func:`add_event` puts an event in the outbox inside the caller's transaction,
so the event exists if and only if the state change that caused it was committed."""

import json
from collections.abc import Sequence

import structlog
from sqlalchemy import column, insert, table
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import UTCDateTime, utcnow
from shared.events.envelope import Envelope, Event

# Lightweight handles: every service's outbox has these columns (see tables.py).
outbox_t = table(
    "outbox",
    column("seq"),
    column("event_id"),
    column("subject"),
    column("payload"),
    column("headers"),
    column("created_at", UTCDateTime()),
    column("published_at", UTCDateTime()),
    column("stream_seq"),
    column("attempts"),
    column("last_error"),
)


def publisher_of(event: Event) -> str:
    """The service that publishes an event: the first part of its type (``jobs.posting.closed``
    is the jobs service's), which is also its stream's subject prefix."""
    return event.event_type.split(".", 1)[0]


async def add_event(session: AsyncSession, event: Event) -> Envelope:
    """Put one event in the outbox, in the caller's transaction."""
    return (await add_events(session, [event]))[0]


async def add_events(session: AsyncSession, events: Sequence[Event]) -> list[Envelope]:
    """Put many events in the outbox with one multi-row statement (a batch writes thousands).
    The events' source is their publisher (:func:`publisher_of`)."""
    if not events:
        return []
    headers = {}
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        headers["X-Request-ID"] = str(request_id)
    header_json = json.dumps(headers)
    now = utcnow()
    envelopes = [
        Envelope.wrap(event, source=publisher_of(event), occurred_at=now) for event in events
    ]
    await session.execute(
        insert(outbox_t),
        [
            {
                "event_id": str(e.id),
                "subject": e.type,
                "payload": e.model_dump_json(),
                "headers": header_json,
                "created_at": now,
                "attempts": 0,
            }
            for e in envelopes
        ],
    )
    session.info["outbox_written"] = True
    return envelopes
