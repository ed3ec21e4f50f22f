"""The event kit: envelope, transactional outbox, relay to JetStream, idempotent consumers."""

from shared.events.consumer import ConsumerRunner, PoisonEvent, RetryLater, Subscription
from shared.events.envelope import Envelope, Event
from shared.events.outbox import add_event, add_events
from shared.events.relay import OutboxRelay
from shared.events.streams import ensure_dead_letter_stream, ensure_stream, stream_name
from shared.events.tables import add_event_tables

__all__ = [
    "ConsumerRunner",
    "Envelope",
    "Event",
    "OutboxRelay",
    "PoisonEvent",
    "RetryLater",
    "Subscription",
    "add_event",
    "add_event_tables",
    "add_events",
    "ensure_dead_letter_stream",
    "ensure_stream",
    "stream_name",
]
