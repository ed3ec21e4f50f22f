"""The platform's composition: which processes there are, which of them publish events, which
durable consumers each service runs on which publisher's stream, and who uses the broker.

``shared/`` names none of them: the plumbing takes them as arguments from here (migrations,
reconciliation, NATS permissions, event-signing keys, the event catalogue). A new service is
added here (and to the launcher and manifests), never in ``shared/``. The services themselves
learn the publishers from their configuration: ``EW_EVENT_PUBLIC_KEYS`` names every publisher's
key (deploy/event_keys.py writes it for ``make run``).
"""

from collections.abc import Callable
from types import ModuleType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events.consumer import Subscription
from shared.events.permissions import BrokerTopology

# Each process and its package: where its config.py and migrations/ live (and, for a service,
# its events.py, the contract of what it publishes, and consumers.py, what it reads).
PROCESSES: dict[str, str] = {
    "jobs": "services.jobs",
    "products": "services.products",
    "subsidies": "services.subsidies",
    "gateway": "gateway",
}
# The services: each publishes its own events on its own stream.
SERVICES: tuple[str, ...] = ("jobs", "products", "subsidies")
PUBLISHERS: tuple[str, ...] = SERVICES
# The durable consumers each service runs, by publisher: the same names as the Subscription(…)
# in services/<svc>/consumers.py (tests/events/test_broker_auth.py checks that they agree).
CONSUMERS: dict[str, dict[str, tuple[str, ...]]] = {
    "subsidies": {"jobs": ("subsidies-eligibility",)},
}
# How long uvicorn keeps an idle keep-alive connection open, in every process. Longer than the
# gateway keeps an idle upstream connection in its pool (gateway.proxy.UPSTREAM_IDLE_SECONDS):
# uvicorn's default of 5 s let a service close a connection just as the gateway reused it, and
# the request failed as 503 "cannot be reached" (seen in make bench after an idle pause).
KEEP_ALIVE_SECONDS = 65
# One NATS user per process, and ``ops`` for the operator tools.
NATS_USERS: tuple[str, ...] = (*SERVICES, "gateway", "ops")
# Who may use the AUDIT_ANCHORS key-value bucket: subsidies anchors its audit chain there, and
# the operators' verify command reads it.
AUDIT_ANCHORS_USERS: tuple[str, ...] = ("subsidies", "ops")
# Who reads events as they pass (a core subscription: no stream access, nothing stored): the
# gateway shows them in the console's live feed (gateway/console/feed.py).
READERS: dict[str, tuple[str, ...]] = {"gateway": PUBLISHERS}
# Who reads the state of every publisher's stream and its consumers (deploy.ops lag).
MONITORS: tuple[str, ...] = ("ops",)
BROKER = BrokerTopology(
    users=NATS_USERS,
    publishers=PUBLISHERS,
    consumers=CONSUMERS,
    anchor_users=AUDIT_ANCHORS_USERS,
    readers=READERS,
    monitors=MONITORS,
)


def events_module(service: str) -> ModuleType:
    """A publisher's contract: its ``events.py``."""
    import importlib

    return importlib.import_module(f"{PROCESSES[service]}.events")


def subscriptions(service: str) -> list[Subscription]:
    """What a service consumes: the subscriptions of its ``consumers.py``."""
    import importlib

    module = importlib.import_module(f"{PROCESSES[service]}.consumers")
    return list(module.subscriptions)


def prepare_sessions(service: str) -> Callable[[async_sessionmaker[AsyncSession], Any], None]:
    """What a service's handlers need of their sessions, set on a sessionmaker with the
    service's settings: its ``consumers.py``'s ``prepare_sessions`` (subsidies binds its audit
    key), or nothing. For applying its events outside the service (a dead letter's replay)."""
    import importlib

    module = importlib.import_module(f"{PROCESSES[service]}.consumers")
    prepare = getattr(module, "prepare_sessions", None)
    return prepare if prepare is not None else lambda _sessionmaker, _settings: None
