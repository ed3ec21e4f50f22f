"""Event signing keys of the test run, and publishing as a service's relay would (signed).

The keys are derived from a fixed test seed, so a test, the services it runs in-process and the
kit processes it starts all agree on them without passing them around."""

from typing import Any

from nats.js import JetStreamContext
from prometheus_client import REGISTRY

from shared.events.metrics import DEAD_LETTER_REASONS
from shared.events.signing import EventSigner, EventVerifier, derive_private_key, public_key_of

TEST_EVENT_SEED = "test-event-signing-seed"
TEST_PUBLISHERS = ("jobs", "products", "subsidies", "kit")


def event_private_key(service: str) -> str:
    return derive_private_key(TEST_EVENT_SEED, service)


EVENT_PUBLIC_KEYS = {s: public_key_of(event_private_key(s)) for s in TEST_PUBLISHERS}


def signer(service: str) -> EventSigner:
    return EventSigner(event_private_key(service))


def verifier() -> EventVerifier:
    return EventVerifier(EVENT_PUBLIC_KEYS)


async def publish_signed(
    js: JetStreamContext,
    subject: str,
    body: bytes,
    *,
    publisher: str,
    headers: dict[str, str] | None = None,
) -> Any:
    """Publish ``body`` with ``publisher``'s signature, as its relay would."""
    return await js.publish(
        subject, body, headers=(headers or {}) | signer(publisher).headers(body)
    )


def metric_value(name: str, **labels: str) -> float:
    """One sample of this process's Prometheus metrics (0 when it has not been counted yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def dead_letters_by_reason(consumer: str) -> dict[str, float]:
    """How many messages ``consumer`` has dead-lettered in this process, by reason."""
    return {
        reason: metric_value("ew_events_dead_lettered_total", consumer=consumer, reason=reason)
        for reason in DEAD_LETTER_REASONS
    }


def counted_since(before: dict[str, float], now: dict[str, float]) -> dict[str, float]:
    """What moved between two readings of :func:`dead_letters_by_reason` (zeros left out)."""
    return {k: now[k] - before[k] for k in now if now[k] != before[k]}
