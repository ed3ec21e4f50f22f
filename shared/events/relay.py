"""The relay: publishes committed outbox rows to JetStream, in order, and marks them sent.

* ``Nats-Msg-Id`` is the event id, so a row published twice (the relay died after the PubAck but
  before marking it) is dropped by the stream's duplicate window, and else by the consumer's inbox.
* On PostgreSQL several replicas may run a relay: a transaction-level advisory lock lets one of
  them relay at a time (which keeps per-aggregate order), and ``FOR UPDATE SKIP LOCKED`` keeps a
  row from being taken twice.
* A failed publish keeps the row pending and backs off; requests never wait on NATS.
* Every message carries the service's signature of its body (``Ew-Signature``, see signing.py),
  computed as it is published: the outbox holds no signatures, so re-sends sign the same way.
"""

import asyncio
import json
import zlib
from typing import Any

import structlog
from nats.js import JetStreamContext
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import utcnow
from shared.events.metrics import PUBLISHED
from shared.events.outbox import outbox_t
from shared.events.signing import EventSigner
from shared.events.streams import subject_for
from shared.faults import fault_point

log = structlog.get_logger("relay")

# Marks published rows; executed with one parameter set per row (executemany).
_MARK_SENT = (
    update(outbox_t)
    .where(outbox_t.c.seq == bindparam("b_seq"))
    .values(stream_seq=bindparam("b_stream_seq"), attempts=outbox_t.c.attempts + 1, last_error=None)
)


class OutboxRelay:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        js: JetStreamContext,
        *,
        service: str,
        signer: EventSigner,
        batch_size: int = 200,
        poll_seconds: float = 0.5,
        publish_timeout: float = 3.0,
        max_backoff: float = 15.0,
        namespace: str = "",
    ) -> None:
        self.namespace = namespace
        self.sessionmaker = sessionmaker
        self.js = js
        self.service = service
        self.signer = signer
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.publish_timeout = publish_timeout
        self.max_backoff = max_backoff
        self._wakeup = asyncio.Event()
        self._lock_key = zlib.crc32(f"outbox:{service}".encode())

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        backoff = 0.0
        while True:
            # Cleared before the cycle, not after: a commit that wakes the relay while a cycle
            # runs (after its query) is then served at once by the next cycle, not a poll later.
            self._wakeup.clear()
            try:
                sent, failed = await self.relay_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database down or similar: keep trying, never die
                log.warning("relay_cycle_failed", error=type(exc).__name__, detail=str(exc)[:200])
                sent, failed = 0, True
            if failed:
                backoff = min(self.max_backoff, max(0.2, backoff * 2))
                await asyncio.sleep(backoff)
                continue
            backoff = 0.0
            if sent >= self.batch_size:
                continue
            # Not asyncio.wait_for: on Python 3.11 it can swallow a cancel that arrives as the
            # wake-up fires (CPython gh-86296), and then shutdown waits on a relay that runs on.
            waiter = asyncio.ensure_future(self._wakeup.wait())
            try:
                await asyncio.wait({waiter}, timeout=self.poll_seconds)
            finally:
                waiter.cancel()

    async def relay_once(self) -> tuple[int, bool]:
        """Publish one batch. Returns (rows published, whether a publish failed)."""
        async with self.sessionmaker() as session, session.begin():
            postgres = session.get_bind().dialect.name == "postgresql"
            if postgres:
                got = await session.scalar(select(func.pg_try_advisory_xact_lock(self._lock_key)))
                if not got:
                    return 0, False
            query = (
                select(
                    outbox_t.c.seq,
                    outbox_t.c.event_id,
                    outbox_t.c.subject,
                    outbox_t.c.payload,
                    outbox_t.c.headers,
                )
                .where(outbox_t.c.published_at.is_(None))
                .order_by(outbox_t.c.seq)
                .limit(self.batch_size)
            )
            if postgres:
                query = query.with_for_update(skip_locked=True)
            rows = (await session.execute(query)).all()
            acks: list[dict[str, Any]] = []
            failed = False
            for row in rows:
                try:
                    ack = await self._publish(row)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # NATS down, hung or refusing: keep the row pending
                    await session.execute(
                        update(outbox_t)
                        .where(outbox_t.c.seq == row.seq)
                        .values(
                            attempts=outbox_t.c.attempts + 1,
                            last_error=f"{type(exc).__name__}: {exc}"[:500],
                        )
                    )
                    log.warning(
                        "publish_failed",
                        event_id=row.event_id,
                        subject=row.subject,
                        error=type(exc).__name__,
                    )
                    failed = True
                    break
                acks.append({"b_seq": row.seq, "b_stream_seq": ack.seq})
            # The rows published are marked in one executemany (one pipelined round trip on
            # asyncpg) in the same transaction, not one UPDATE per row: the publishes stay one
            # at a time, in order, so a failure never lets a later row into the stream first.
            if acks:
                await session.execute(_MARK_SENT.values(published_at=utcnow()), acks)
                PUBLISHED.labels(self.service).inc(len(acks))
        return len(acks), failed

    async def _publish(self, row: Any) -> Any:
        body = row.payload.encode()
        headers = json.loads(row.headers or "{}")
        headers["Nats-Msg-Id"] = row.event_id
        headers |= self.signer.headers(body)
        fault_point("relay.before_publish")
        ack = await self.js.publish(
            subject_for(row.subject, self.namespace),
            body,
            timeout=self.publish_timeout,
            headers=headers,
        )
        fault_point("relay.after_publish")
        return ack


async def republish_unconfirmed(session: AsyncSession, *, since_seq: int = 0) -> int:
    """Reconciliation: mark published rows as pending again so the relay re-sends them.

    Used when the broker lost acknowledged messages. Consumers' inboxes drop what they already
    applied, so re-sending is always safe. Returns the number of rows re-queued.
    """
    result = await session.execute(
        update(outbox_t)
        .where(outbox_t.c.seq > since_seq, outbox_t.c.published_at.is_not(None))
        .values(published_at=None, stream_seq=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
