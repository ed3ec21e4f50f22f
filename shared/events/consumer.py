"""Durable pull consumers whose handlers run exactly once per event.

For each message: verify that the publishing service signed it (signing.py) before reading it,
parse the envelope and check that it claims to come from that service on its own subject; then,
in one transaction, record the event id in the inbox and run the handler; commit; only then ack.
A message that is not the publisher's own is terminated and kept as a dead letter, with no effect.
A redelivered event finds its id in the inbox and is acked without a second effect. A handler
that raises :class:`RetryLater` (or fails for a transient reason) is nak'ed with a delay; an event
that cannot be valid (:class:`PoisonEvent`, or a payload that fails validation) is terminated and
kept as a dead letter, and so is one that has used up its deliveries. Later events keep flowing
either way. A dead letter keeps the message body byte for byte (NUL bytes and invalid UTF-8
included: PostgreSQL text would refuse them), so that any poison message can be kept.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import nats.errors
import nats.js.errors
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError
from sqlalchemy import LargeBinary, column, insert, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import UTCDateTime, utcnow
from shared.events.envelope import Envelope
from shared.events.signing import SIGNATURE_HEADER, EventVerifier
from shared.events.streams import ensure_stream, subject_for
from shared.faults import fault_point

log = structlog.get_logger("consumer")

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]

inbox_t = table(
    "inbox",
    column("consumer"),
    column("event_id"),
    column("event_type"),
    column("processed_at", UTCDateTime()),
)
dead_letters_t = table(
    "dead_letters",
    column("consumer"),
    column("subject"),
    column("event_id"),
    column("stream_seq"),
    column("deliveries"),
    column("reason"),
    column("payload", LargeBinary()),
    column("created_at", UTCDateTime()),
)


class _AlreadyApplied(Exception):
    pass


class PoisonEvent(Exception):
    """The event can never be applied: terminate it and keep a dead letter."""


class RetryLater(Exception):
    """The event cannot be applied yet (e.g. it arrived before one it depends on)."""


@dataclass
class Subscription:
    """A durable consumer on one publisher's stream, with a handler per event type."""

    durable: str
    publisher: str  # the publishing service, e.g. "jobs"
    handlers: dict[str, Handler] = field(default_factory=dict)

    def on(self, event_type: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.handlers[event_type] = fn
            return fn

        return register


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
        self.processed = 0
        self.dead_lettered = 0

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
                await self.handle(sub, msg)

    async def handle(self, sub: Subscription, msg: Msg) -> None:
        deliveries = msg.metadata.num_delivered if msg.metadata else 1
        stream_seq = msg.metadata.sequence.stream if msg.metadata else None
        request_id = (msg.headers or {}).get("X-Request-ID")
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self._handle(sub, msg, deliveries, stream_seq)

    async def _handle(
        self, sub: Subscription, msg: Msg, deliveries: int, stream_seq: int | None
    ) -> None:
        signature = (msg.headers or {}).get(SIGNATURE_HEADER)
        problem = self.verifier.problem(sub.publisher, msg.data, signature)
        if problem is not None:  # not read any further: nothing in it can be trusted
            await self._dead_letter(
                sub, msg, None, stream_seq, deliveries, f"not signed by {sub.publisher}: {problem}"
            )
            return
        try:
            envelope = Envelope.model_validate_json(msg.data)
        except ValidationError as exc:
            await self._dead_letter(
                sub,
                msg,
                None,
                stream_seq,
                deliveries,
                f"invalid envelope: {exc.error_count()} error(s)",
            )
            return
        mismatch = self._misaddressed(sub, msg, envelope)
        if mismatch is not None:
            await self._dead_letter(
                sub, msg, str(envelope.id), stream_seq, deliveries, f"misaddressed: {mismatch}"
            )
            return
        handler = sub.handlers.get(envelope.type)
        if handler is None:  # a type this consumer does not read: nothing to do
            await msg.ack()
            return
        outcome = "duplicate"
        try:
            async with self.sessionmaker() as session, session.begin():
                seen = await session.scalar(
                    select(inbox_t.c.event_id).where(
                        inbox_t.c.consumer == sub.durable, inbox_t.c.event_id == str(envelope.id)
                    )
                )
                if seen is None:
                    try:
                        await session.execute(
                            insert(inbox_t).values(
                                consumer=sub.durable,
                                event_id=str(envelope.id),
                                event_type=envelope.type,
                                processed_at=utcnow(),
                            )
                        )
                    except IntegrityError as exc:
                        raise _AlreadyApplied from exc
                    await handler(session, envelope)
                    outcome = "applied"
                    self.processed += 1
        except _AlreadyApplied:
            pass  # another delivery of the same event committed first: its effect stands
        except (PoisonEvent, ValidationError) as exc:
            reason = (
                str(exc)
                if isinstance(exc, PoisonEvent)
                else f"invalid data: {exc.errors(include_input=False)}"
            )
            await self._dead_letter(sub, msg, str(envelope.id), stream_seq, deliveries, reason)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # transient (RetryLater, database down): try again later
            if deliveries >= self.max_deliver:
                await self._dead_letter(
                    sub,
                    msg,
                    str(envelope.id),
                    stream_seq,
                    deliveries,
                    f"gave up after {deliveries} deliveries: {type(exc).__name__}: {exc}",
                )
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
            return
        fault_point("consumer.after_commit")
        await msg.ack()
        log.info(
            f"event_{outcome}",
            consumer=sub.durable,
            event_type=envelope.type,
            event_id=str(envelope.id),
            deliveries=deliveries,
        )

    def _misaddressed(self, sub: Subscription, msg: Msg, envelope: Envelope) -> str | None:
        """A signed envelope is still refused where it claims to be something else: another
        service's event, or a type other than the subject it was published on."""
        if envelope.source != sub.publisher:
            return f"source {envelope.source!r} on the {sub.publisher} stream"
        if msg.subject != subject_for(envelope.type, self.namespace):
            return f"type {envelope.type!r} published on subject {msg.subject!r}"
        return None

    async def _dead_letter(
        self,
        sub: Subscription,
        msg: Msg,
        event_id: str | None,
        stream_seq: int | None,
        deliveries: int,
        reason: str,
    ) -> None:
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
                        payload=bytes(msg.data),
                        created_at=utcnow(),
                    )
                )
        except Exception as exc:  # database down: leave it to redelivery, don't lose it
            log.warning("dead_letter_write_failed", error=type(exc).__name__)
            await msg.nak(delay=self.retry_delay * deliveries)
            return
        self.dead_lettered += 1
        await msg.term()
