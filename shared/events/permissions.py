"""Who may do what on the broker: one NATS user per process, each allowed only its own subjects.

Issue 8 item 1: with no authorization anyone who reached NATS could publish ``jobs.>`` events and
create subsidy applications. Every configuration (the embedded run, the tests, compose,
Kubernetes) now takes its ``authorization`` block from :func:`nats_authorization`, so they grant
the same permissions:

- a publishing service may publish only its own events (``jobs.>`` for jobs …) and manage only
  its own stream (create, update, info) and the dead-letter stream;
- a consuming service may, on the streams it reads, only create its own durable consumers, fetch
  from them and ack; it may also create (never update) the publisher's stream, with the same
  configuration the publisher would give it, so that it can start before its publisher;
- ``subsidies`` and ``ops`` (operator tools) may use the ``AUDIT_ANCHORS`` key-value bucket;
- a monitor (``ops``, for ``deploy.ops lag``) may read each publisher's stream information and
  list the consumers on it (counts, sequences, lag), and nothing of the messages themselves;
- a reader (the gateway, for the console's live feed) may subscribe to the events of the
  publishers it is given (``jobs.>`` …) with a plain core subscription: it receives them as they
  are published, and may neither publish, nor create consumers, nor read any stream's store;
- every user receives replies only on its own inbox prefix (``_INBOX.<user>.>``), so no user can
  read the messages the server delivers to another (pull consumers deliver into the inbox).

Nothing may delete or purge a stream or a consumer.

Which users, publishers and consumers there are is not known here: the composition root
(deploy/topology.py) passes them in as a :class:`BrokerTopology`.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.events.streams import DEAD_LETTER_STREAM


@dataclass(frozen=True)
class BrokerTopology:
    """Who uses the broker: every NATS user, the users that publish events (each on its own
    stream), the durable consumers each user runs, by publisher, the users of the
    ``AUDIT_ANCHORS`` key-value bucket, the readers: users that may subscribe to the
    events of the publishers named (core subscriptions, nothing stored), and the monitors:
    users that may read the state of every publisher's stream and its consumers."""

    users: tuple[str, ...]
    publishers: tuple[str, ...]
    consumers: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    anchor_users: tuple[str, ...] = ()
    readers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    monitors: tuple[str, ...] = ()


AUDIT_ANCHORS_BUCKET = "AUDIT_ANCHORS"
JS_API = "$JS.API"
STREAM_SETUP = ("CREATE", "UPDATE", "INFO")  # what ensure_stream needs; never DELETE or PURGE


def inbox_prefix(user: str) -> str:
    """The reply subjects of ``user``'s connections; it may subscribe to nothing else."""
    return f"_INBOX.{user}" if user else "_INBOX"


def connect_options(user: str, password: str) -> dict[str, Any]:
    """Keyword arguments of ``nats.connect`` for this user (none without a user)."""
    if not user:
        return {}
    return {"user": user, "password": password, "inbox_prefix": inbox_prefix(user)}


def _anchor_bucket_permissions(namespaced: bool) -> list[str]:
    """What a user of the ``AUDIT_ANCHORS`` key-value bucket may publish (see user_permissions)."""
    bucket = "*" if namespaced else AUDIT_ANCHORS_BUCKET
    kv = "*" if namespaced else f"KV_{AUDIT_ANCHORS_BUCKET}"
    publish = [f"$KV.{bucket}.>"]
    publish += [f"{JS_API}.STREAM.{op}.{kv}" for op in STREAM_SETUP]
    publish += [f"{JS_API}.STREAM.MSG.GET.{kv}", f"{JS_API}.DIRECT.GET.{kv}"]
    publish += [f"{JS_API}.DIRECT.GET.{kv}.>"]
    # Watching or listing keys runs short-lived ordered consumers on the bucket's stream.
    # An ephemeral consumer is created on ``CONSUMER.CREATE.<stream>`` itself (no name).
    publish += [f"{JS_API}.CONSUMER.CREATE.{kv}"]
    publish += [f"{JS_API}.CONSUMER.{op}.{kv}.>" for op in ("CREATE", "INFO", "DELETE", "MSG.NEXT")]
    return [*publish, f"$JS.ACK.{kv}.>"]


def user_permissions(
    user: str, topology: BrokerTopology, *, namespaced: bool = False
) -> dict[str, Any]:
    """The publish and subscribe permissions of one user.

    ``namespaced`` is for the per-run test server only, where each test prefixes its subjects
    (``<ns>.jobs.>``) and stream names (``<NS>_JOBS``) with its own namespace. Subjects stay as
    strict as in production (``jobs.>`` and ``*.jobs.>``). Stream names cannot: a NATS wildcard
    matches whole tokens only and ``<NS>_JOBS`` is one token, so there the stream token of
    JetStream API subjects is ``*`` (any stream). That makes the test server WIDER than production
    for stream and consumer management (never for publishing events);
    tests/events/test_broker_auth.py checks the production permissions on a server of its own.
    """

    def stream(name: str) -> str:
        return "*" if namespaced else name

    def subjects(pattern: str) -> list[str]:
        return [pattern, f"*.{pattern}"] if namespaced else [pattern]

    publish: list[str] = []
    if user in topology.publishers:
        publish += subjects(f"{user}.>")
        for own in (user.upper(), DEAD_LETTER_STREAM):
            publish += [f"{JS_API}.STREAM.{op}.{stream(own)}" for op in STREAM_SETUP]
    for publisher, durables in topology.consumers.get(user, {}).items():
        name = stream(publisher.upper())
        publish += [f"{JS_API}.STREAM.CREATE.{name}", f"{JS_API}.STREAM.INFO.{name}"]
        for durable in durables:
            publish += [
                f"{JS_API}.CONSUMER.CREATE.{name}.{durable}",
                f"{JS_API}.CONSUMER.CREATE.{name}.{durable}.>",
                f"{JS_API}.CONSUMER.DURABLE.CREATE.{name}.{durable}",
                f"{JS_API}.CONSUMER.INFO.{name}.{durable}",
                f"{JS_API}.CONSUMER.MSG.NEXT.{name}.{durable}",
                f"$JS.ACK.{name}.{durable}.>",
            ]
    if user in topology.anchor_users:
        publish += _anchor_bucket_permissions(namespaced)
    if user in topology.monitors:
        for publisher in topology.publishers:
            name = stream(publisher.upper())
            publish += [f"{JS_API}.STREAM.INFO.{name}", f"{JS_API}.CONSUMER.LIST.{name}"]
    publish = list(dict.fromkeys(publish))  # namespaced, many names are the same "*"
    subscribe = [f"{inbox_prefix(user)}.>"]
    for publisher in topology.readers.get(user, ()):
        subscribe += subjects(f"{publisher}.>")
    return {
        "publish": {"allow": publish} if publish else {"deny": [">"]},
        "subscribe": {"allow": subscribe},
    }


def password_variable(user: str) -> str:
    """The environment variable a deployed nats-server reads ``user``'s password from."""
    return f"NATS_{user.upper()}_PASSWORD"


def nats_authorization(
    topology: BrokerTopology,
    passwords: Mapping[str, str] | None = None,
    *,
    namespaced: bool = False,
    extra_users: Mapping[str, str] = {},
) -> str:
    """The ``authorization`` block of a nats-server configuration, for every user of ``topology``.

    ``passwords`` maps each user to its password (the embedded run, the tests); without it each
    password is a reference to the environment variable :func:`password_variable` (compose,
    Kubernetes), resolved by nats-server when it starts, so no password is in the repository.
    ``extra_users`` (user → password) get no restriction at all: only the tests use it, for the
    harness that plays other publishers and inspects every stream.
    """
    lines = ["authorization {", "  users: ["]
    for user in topology.users:
        password = (
            json.dumps(passwords[user]) if passwords is not None else f"${password_variable(user)}"
        )
        permissions = json.dumps(user_permissions(user, topology, namespaced=namespaced))
        lines.append(f'    {{user: "{user}", password: {password}, permissions: {permissions}}}')
    for user, password in extra_users.items():
        lines.append(f'    {{user: "{user}", password: {json.dumps(password)}}}')
    lines += ["  ]", "}", ""]
    return "\n".join(lines)
