"""Durable pull consumers whose handlers run exactly once per event.

For each message: verify that the publishing service signed it (signing.py) before reading it,
parse the envelope and check that it claims to come from that service on its own subject; then,
in one transaction, record the event id in the inbox and run the handler registered for its type
on its data validated into the handler's own model; commit; only then ack.
A message that is not the publisher's own is terminated and kept as a dead letter, with no effect.
A redelivered event finds its id in the inbox and is acked without a second effect. A handler
that raises :class:`RetryLater` (or fails for a transient reason) is nak'ed with a delay; an event
that cannot be valid (:class:`PoisonEvent`, or a payload that fails validation) is terminated and
kept as a dead letter, and so is one that has used up its deliveries. Later events keep flowing
either way. A dead letter keeps the message body byte for byte (NUL bytes and invalid UTF-8
included: PostgreSQL text would refuse them), so that any poison message can be kept, and its
headers, the signature among them, so that an operator can replay it once its cause is fixed
(dead_letters.py). What happens is counted in Prometheus metrics (metrics.py).
"""

import asyncio
import inspect
import json
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

import nats.errors
import nats.js.errors
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import BaseModel, ValidationError
from sqlalchemy import LargeBinary, column, insert, table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import UTCDateTime, is_postgres, utcnow
from shared.events.envelope import Envelope
from shared.events.metrics import CONSUMED, DEAD_LETTERED, OTHER_TYPE, RETRIED
from shared.events.signing import SIGNATURE_HEADER, EventVerifier
from shared.events.streams import ensure_stream, subject_for
from shared.faults import fault_point

log = structlog.get_logger("consumer")

Payload = TypeVar("Payload", bound=BaseModel)
# A handler: (session, the event's data validated into the consumer's model, the envelope).
Handler = Callable[[AsyncSession, Payload, Envelope], Awaitable[None]]

inbox_t = table(
    "inbox",
    column("consumer"),
    column("event_id"),
    column("event_type"),
    column("processed_at", UTCDateTime()),
)
dead_letters_t = table(
    "dead_letters",
    column("id"),
    column("consumer"),
    column("subject"),
    column("event_id"),
    column("stream_seq"),
    column("deliveries"),
    column("reason"),
    column("kind"),
    column("event_type"),
    column("payload", LargeBinary()),
    column("headers"),
    column("created_at", UTCDateTime()),
    column("replayed_at", UTCDateTime()),
    column("replay_outcome"),
)


async def _claim(session: AsyncSession, consumer: str, envelope: Envelope) -> bool:
    """Record the event in the inbox in one statement; False if it is already there. A
    delivery of the same event still in flight elsewhere makes this wait for its outcome: its
    commit makes this one a duplicate, its rollback lets this one apply."""
    insert = pg_insert if is_postgres(session) else sqlite_insert
    claimed = await session.scalar(
        insert(inbox_t)
        .values(
            consumer=consumer,
            event_id=str(envelope.id),
            event_type=envelope.type,
            processed_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(inbox_t.c.event_id)
    )
    return claimed is not None


class PoisonEvent(Exception):
    """The event can never be applied: terminate it and keep a dead letter."""


class RetryLater(Exception):
    """The event cannot be applied yet (e.g. it arrived before one it depends on)."""


@dataclass(frozen=True)
class Registration(Generic[Payload]):
    """One event type a subscription reads: the model of the fields it reads, and its handler."""

    event_type: str
    model: type[Payload]
    handler: Handler[Payload]

    def parse(self, envelope: Envelope) -> Payload:
        """The event's data as the consumer's model (ValidationError: a poison message)."""
        return self.model.model_validate(envelope.data)


@dataclass
class Subscription:
    """A durable consumer on one publisher's stream, with a handler per event type.

    A handler is registered by event type; the model of its payload is the annotation of its
    second parameter (the consumer's own model of the fields it reads)::

        @subscription.handles("jobs.placement.started")
        async def on_started(session, event: PlacementStarted, envelope) -> None: ...

    The runner validates the event's data into that model before it calls the handler; data that
    does not validate is a poison message (terminated and kept as a dead letter).
    """

    durable: str
    publisher: str  # the publishing service, e.g. "jobs"
    handlers: dict[str, Registration[Any]] = field(default_factory=dict)

    def handles(self, event_type: str) -> Callable[[Handler[Payload]], Handler[Payload]]:
        def register(fn: Handler[Payload]) -> Handler[Payload]:
            if event_type in self.handlers:
                raise ValueError(f"{self.durable} already handles {event_type}")
            self.handlers[event_type] = Registration(event_type, payload_model(fn), fn)
            return fn

        return register

    def models(self) -> dict[str, type[BaseModel]]:
        """The model each handled event type is read with (checked against the publishers'
        contracts by tests/e2e/test_contracts.py, listed in the event catalogue)."""
        return {t: r.model for t, r in self.handlers.items()}


def payload_model(fn: Callable[..., Any]) -> type[BaseModel]:
    """The Pydantic model a handler reads its payload with: its second parameter's annotation."""
    params = list(inspect.signature(fn).parameters)
    hints = typing.get_type_hints(fn)
    model = hints.get(params[1]) if len(params) == 3 else None
    if not (inspect.isclass(model) and issubclass(model, BaseModel)):
        raise TypeError(f"{fn.__qualname__} must be (session, event: <a pydantic model>, envelope)")
    return model


@dataclass(frozen=True)
class Refusal:
    """Why a message is not read any further: its dead letter's kind and reason."""

    kind: str
    reason: str
    event_id: str | None = None
    event_type: str | None = None


def examine(
    verifier: EventVerifier,
    publisher: str,
    subject: str,
    body: bytes,
    signature: str | None,
    namespace: str = "",
) -> Envelope | Refusal:
    """The envelope of a message on ``publisher``'s stream, if the publisher signed it and it is
    addressed as it claims; else why not. A replayed dead letter goes through the same checks
    (dead_letters.py)."""
    problem = verifier.problem(publisher, body, signature)
    if problem is not None:  # not read any further: nothing in it can be trusted
        return Refusal("unsigned", f"not signed by {publisher}: {problem}")
    try:
        envelope = Envelope.model_validate_json(body)
    except ValidationError as exc:
        return Refusal("invalid_envelope", f"invalid envelope: {exc.error_count()} error(s)")
    # A signed envelope is still refused where it claims to be something else: another
    # service's event, or a type other than the subject it was published on.
    mismatch = None
    if envelope.source != publisher:
        mismatch = f"source {envelope.source!r} on the {publisher} stream"
    elif subject != subject_for(envelope.type, namespace):
        mismatch = f"type {envelope.type!r} published on subject {subject!r}"
    if mismatch is not None:
        return Refusal("misaddressed", f"misaddressed: {mismatch}", str(envelope.id), envelope.type)
    return envelope


async def apply_event(
    sessionmaker: async_sessionmaker[AsyncSession],
    durable: str,
    registration: Registration[Any],
    envelope: Envelope,
) -> str:
    """In one transaction: record the event in ``durable``'s inbox and run its handler on the
    data validated into the handler's model. Returns "applied", or "duplicate" for an event the
    inbox already holds."""
    async with sessionmaker() as session, session.begin():
        if not await _claim(session, durable, envelope):
            return "duplicate"  # the inbox holds it: applied before, or just now elsewhere
        await registration.handler(session, registration.parse(envelope), envelope)
    return "applied"


class ConsumerRunner:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        js: JetStreamContext,
        subscriptions: list[Subscription],
        *,
        verifier: EventVerifier,
        max_deliver: int = 8,
        ack_wait: float = 30.0,
        retry_delay: float = 1.0,
        batch: int = 50,
        replicas: int = 1,
        namespace: str = "",
    ) -> None:
        self.namespace = namespace
        self.sessionmaker = sessionmaker
        self.js = js
        self.subscriptions = subscriptions
        missing = verifier.missing(sub.publisher for sub in subscriptions)
        if missing:
            raise ValueError(f"no public key to verify events of {', '.join(missing)}")
        self.verifier = verifier
        self.max_deliver = max_deliver
        self.ack_wait = ack_wait
        self.retry_delay = retry_delay
        self.batch = batch
        self.replicas = replicas

    async def start(self) -> list[asyncio.Task[None]]:
        tasks = []
        for sub in self.subscriptions:
            stream = await ensure_stream(
                self.js, sub.publisher, replicas=self.replicas, namespace=self.namespace
            )
            config = ConsumerConfig(
                durable_name=sub.durable,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=self.ack_wait,
                max_deliver=self.max_deliver,
                filter_subjects=sorted(subject_for(t, self.namespace) for t in sub.handlers),
                max_ack_pending=1000,
            )
            await self.js.add_consumer(stream, config)
            psub = await self.js.pull_subscribe_bind(sub.durable, stream)
            tasks.append(asyncio.create_task(self._loop(sub, psub), name=f"consumer:{sub.durable}"))
        return tasks

    async def _loop(self, sub: Subscription, psub: JetStreamContext.PullSubscription) -> None:
        while True:
            try:
                msgs = await psub.fetch(self.batch, timeout=1.0)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost: the client reconnects; wait and retry
                log.warning("fetch_failed", consumer=sub.durable, error=type(exc).__name__)
                await asyncio.sleep(1.0)
                continue
            for msg in msgs:
                try:
                    await self.handle(sub, msg)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    # Most often the ack or nak lost with the connection (NATS restarting). The
                    # message was not acknowledged, so it comes back after ack_wait and the inbox
                    # absorbs a second delivery. Whatever it was, the loop must go on: a consumer
                    # task that dies stops applying events until the process restarts.
                    log.warning(
                        "event_handling_failed",
                        consumer=sub.durable,
                        error=type(exc).__name__,
                        detail=str(exc)[:200],
                    )

    async def handle(self, sub: Subscription, msg: Msg) -> None:
        deliveries = msg.metadata.num_delivered if msg.metadata else 1
        stream_seq = msg.metadata.sequence.stream if msg.metadata else None
        request_id = (msg.headers or {}).get("X-Request-ID")
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self._handle(sub, msg, deliveries, stream_seq)

    async def _handle(
        self, sub: Subscription, msg: Msg, deliveries: int, stream_seq: int | None
    ) -> None:
        envelope = await self._read(sub, msg, deliveries, stream_seq)
        if envelope is None:
            return
        registration = sub.handlers.get(envelope.type)
        if registration is None:  # a type this consumer does not read: nothing to do
            await msg.ack()
            CONSUMED.labels(sub.durable, OTHER_TYPE, "ignored").inc()
            return
        dead = partial(self._dead_letter, sub, msg, str(envelope.id), stream_seq, deliveries)
        try:
            outcome = await apply_event(self.sessionmaker, sub.durable, registration, envelope)
        except (PoisonEvent, ValidationError) as exc:
            if isinstance(exc, PoisonEvent):
                await dead(str(exc), kind="poison", event_type=envelope.type)
            else:
                reason = f"invalid data: {exc.errors(include_input=False)}"
                await dead(reason, kind="invalid_data", event_type=envelope.type)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # transient (RetryLater, database down): try again later
            if deliveries >= self.max_deliver:
                reason = f"gave up after {deliveries} deliveries: {type(exc).__name__}: {exc}"
                await dead(reason, kind="exhausted", event_type=envelope.type)
                return
            log.info(
                "event_retry",
                consumer=sub.durable,
                event_id=str(envelope.id),
                deliveries=deliveries,
                error=type(exc).__name__,
                detail=str(exc)[:200],
            )
            await msg.nak(delay=self.retry_delay * deliveries)
            RETRIED.labels(sub.durable, envelope.type).inc()
            CONSUMED.labels(sub.durable, envelope.type, "retried").inc()
            return
        fault_point("consumer.after_commit")
        await msg.ack()
        CONSUMED.labels(sub.durable, envelope.type, outcome).inc()
        log.info(
            f"event_{outcome}",
            consumer=sub.durable,
            event_type=envelope.type,
            event_id=str(envelope.id),
            deliveries=deliveries,
        )

    async def _read(
        self, sub: Subscription, msg: Msg, deliveries: int, stream_seq: int | None
    ) -> Envelope | None:
        """The envelope, if the publisher signed it and it is addressed as it claims; else the
        message is kept as a dead letter and None is returned."""
        signature = (msg.headers or {}).get(SIGNATURE_HEADER)
        found = examine(
            self.verifier, sub.publisher, msg.subject, msg.data, signature, self.namespace
        )
        if isinstance(found, Refusal):
            await self._dead_letter(
                sub,
                msg,
                found.event_id,
                stream_seq,
                deliveries,
                found.reason,
                kind=found.kind,
                event_type=found.event_type,
            )
            return None
        return found

    async def _dead_letter(
        self,
        sub: Subscription,
        msg: Msg,
        event_id: str | None,
        stream_seq: int | None,
        deliveries: int,
        reason: str,
        *,
        kind: str,
        event_type: str | None = None,
    ) -> None:
        """Keep the message as a dead letter and terminate it. ``kind`` is one of
        DEAD_LETTER_REASONS; ``event_type`` the envelope's type, if it could be read."""
        log.warning(
            "dead_letter",
            consumer=sub.durable,
            subject=msg.subject,
            event_id=event_id,
            reason=reason[:300],
        )
        try:
            async with self.sessionmaker() as session, session.begin():
                await session.execute(
                    insert(dead_letters_t).values(
                        consumer=sub.durable,
                        subject=msg.subject,
                        event_id=event_id,
                        stream_seq=stream_seq,
                        deliveries=deliveries,
                        # The reason may quote event data, and PostgreSQL text refuses NUL.
                        reason=reason.replace("\x00", "\\x00")[:2000],
                        kind=kind,
                        event_type=event_type,
                        payload=bytes(msg.data),
                        # The signature among them: a replay checks it again (dead_letters.py).
                        headers=json.dumps(dict(msg.headers or {}), sort_keys=True),
                        created_at=utcnow(),
                    )
                )
        except Exception as exc:  # database down: leave it to redelivery, don't lose it
            log.warning("dead_letter_write_failed", error=type(exc).__name__)
            await msg.nak(delay=self.retry_delay * deliveries)
            return
        await msg.term()
        DEAD_LETTERED.labels(sub.durable, kind).inc()
        label = event_type if event_type in sub.handlers else OTHER_TYPE
        CONSUMED.labels(sub.durable, label, "dead_lettered").inc()
