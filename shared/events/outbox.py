"""Writing events: :func:`add_event` puts an event in the outbox inside the caller's transaction,
so the event exists if and only if the state change that caused it was committed."""

import json

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


async def add_event(session: AsyncSession, event: Event, *, source: str) -> Envelope:
    envelope = Envelope.wrap(event, source=source)
    headers = {}
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        headers["X-Request-ID"] = str(request_id)
    await session.execute(
        insert(outbox_t).values(
            event_id=str(envelope.id),
            subject=envelope.type,
            payload=envelope.model_dump_json(),
            headers=json.dumps(headers),
            created_at=utcnow(),
            attempts=0,
        )
    )
    session.info["outbox_written"] = True
    return envelope
