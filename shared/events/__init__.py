"""The event kit: envelope, transactional outbox, relay to JetStream, idempotent consumers, and
the publisher signatures that consumers verify (signing.py)."""

from shared.events.consumer import ConsumerRunner, PoisonEvent, RetryLater, Subscription
from shared.events.envelope import Envelope, Event
from shared.events.outbox import add_event, add_events
from shared.events.relay import OutboxRelay
from shared.events.signing import EventSigner, EventVerifier
from shared.events.streams import ensure_dead_letter_stream, ensure_stream, stream_name
from shared.events.tables import add_event_tables

__all__ = [
    "ConsumerRunner",
    "Envelope",
    "Event",
    "EventSigner",
    "EventVerifier",
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
