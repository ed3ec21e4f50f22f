"""What the event kit does, as Prometheus metrics (served on every process's ``/metrics``).

Counters move as events flow: published by the relay, settled by a consumer (by event type and
outcome), retried, dead-lettered. Gauges are refreshed by :class:`EventGauges` every few
seconds: the outbox backlog and the age of its oldest pending row (a relay that cannot publish
shows here first), and each durable consumer's lag (messages of the stream not yet delivered to
it, and delivered but not yet acknowledged), read from JetStream's consumer info.

Labels are bounded: services and durable names come from the code, an event type only from the
types a consumer handles (``other`` for the rest), a dead letter's ``reason`` is one of
:data:`DEAD_LETTER_REASONS`.
"""

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

import structlog
from nats.aio.client import Client as NATS
from prometheus_client import Counter, Gauge
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import utcnow
from shared.events.outbox import outbox_t
from shared.events.streams import stream_name

log = structlog.get_logger("event_metrics")

PUBLISHED = Counter(
    "ew_events_published_total", "Events the relay published to JetStream", ["service"]
)
CONSUMED = Counter(
    "ew_events_consumed_total",
    "Messages a durable consumer settled, by event type and outcome "
    "(applied, duplicate, ignored, retried, dead_lettered)",
    ["consumer", "event_type", "outcome"],
)
RETRIED = Counter(
    "ew_events_retried_total",
    "Deliveries that failed for a transient reason and were nak'ed to be retried",
    ["consumer", "event_type"],
)
DEAD_LETTERED = Counter(
    "ew_events_dead_lettered_total",
    "Messages terminated and kept as dead letters, by reason",
    ["consumer", "reason"],
)
OUTBOX_BACKLOG = Gauge(
    "ew_outbox_backlog", "Outbox rows committed but not yet published", ["service"]
)
OUTBOX_OLDEST_PENDING = Gauge(
    "ew_outbox_oldest_pending_seconds",
    "Age of the oldest outbox row not yet published (0 when none is pending)",
    ["service"],
)
CONSUMER_PENDING = Gauge(
    "ew_consumer_pending_messages",
    "Messages of the stream not yet delivered to the durable consumer (its lag)",
    ["consumer", "stream"],
)
CONSUMER_ACK_PENDING = Gauge(
    "ew_consumer_ack_pending_messages",
    "Messages delivered to the durable consumer and not yet acknowledged",
    ["consumer", "stream"],
)

# The event type label of a message whose type the consumer does not handle (or could not read).
OTHER_TYPE = "other"
# Why a message became a dead letter: the ``reason`` label of DEAD_LETTERED.
DEAD_LETTER_REASONS = (
    "unsigned",
    "invalid_envelope",
    "misaddressed",
    "invalid_data",
    "poison",
    "exhausted",
)


async def outbox_backlog(session: AsyncSession, now: datetime) -> tuple[int, float]:
    """(rows pending, age in seconds of the oldest pending row) of the session's outbox."""
    row = (
        await session.execute(
            select(func.count(), func.min(outbox_t.c.created_at)).where(
                outbox_t.c.published_at.is_(None)
            )
        )
    ).one()
    oldest: datetime | None = row[1]
    return int(row[0]), max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


class EventGauges:
    """Refreshes the outbox and consumer-lag gauges of one service every ``interval`` seconds.

    The outbox is read whether NATS is up or not (a backlog that grows while the broker is away
    is what the gauge is for); the lag only while ``nats()`` gives a connected client."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        nats: Callable[[], NATS | None],
        *,
        service: str,
        consumers: Sequence[tuple[str, str]] = (),  # (publisher, durable) of each subscription
        namespace: str = "",
        interval: float = 5.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.nats = nats
        self.service = service
        self.consumers = list(consumers)
        self.namespace = namespace
        self.interval = interval

    async def refresh(self) -> None:
        async with self.sessionmaker() as session:
            backlog, oldest = await outbox_backlog(session, utcnow())
        OUTBOX_BACKLOG.labels(self.service).set(backlog)
        OUTBOX_OLDEST_PENDING.labels(self.service).set(oldest)
        nc = self.nats()
        if nc is None or not nc.is_connected:
            return
        js = nc.jetstream()
        for publisher, durable in self.consumers:
            stream = stream_name(publisher, self.namespace)
            info = await js.consumer_info(stream, durable)
            CONSUMER_PENDING.labels(durable, stream).set(info.num_pending or 0)
            CONSUMER_ACK_PENDING.labels(durable, stream).set(info.num_ack_pending or 0)

    async def run(self) -> None:
        while True:
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database or NATS away: the gauges keep their last value
                log.info("event_gauges_failed", error=type(exc).__name__)
            await asyncio.sleep(self.interval)
