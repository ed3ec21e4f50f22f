"""Dead letters as an operator sees and replays them (``python -m deploy.ops dead-letters``).

A consumer keeps every message it terminates in its service's ``dead_letters`` table
(consumer.py): the body byte for byte, its headers, why (``kind``, one of
:data:`~shared.events.metrics.DEAD_LETTER_REASONS`, and a reason), the stream sequence.

Replaying a letter applies it now, in the operator's process, through the consumer's own handler,
exactly as a delivery is applied:

- the same checks first (:func:`~shared.events.consumer.examine`): the publisher's signature,
  kept among the headers, must verify with the keys configured now, and the envelope must parse
  and be addressed as it claims. A letter whose kind is ``unsigned`` or ``misaddressed`` is never
  replayed, whatever the keys say now; nor one kept before headers were (no signature to check:
  re-publish the event from its publisher's outbox instead);
- then, in one transaction, the consumer's inbox and its handler (:func:`apply_event`): an event
  the consumer has applied since (a redelivery, a re-publish, a replay) is a ``duplicate`` and
  has no second effect.

A letter that applies, or turns out to be a duplicate, is marked replayed; one that fails again
(the handler still refuses it) stays as it is and the reason is reported. Nothing is published:
no other consumer sees the message again, and the operator needs no right to publish events.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import utcnow
from shared.events.consumer import (
    PoisonEvent,
    Refusal,
    Subscription,
    apply_event,
    dead_letters_t,
    examine,
)
from shared.events.signing import SIGNATURE_HEADER, EventVerifier

# Kinds whose message is not the publisher's own as it arrived: never applied by anyone.
NEVER_REPLAYED = frozenset({"unsigned", "misaddressed"})
# Outcomes of a replay that leave the letter settled.
SETTLED = frozenset({"applied", "duplicate", "already_replayed"})

_columns = dead_letters_t.c


@dataclass(frozen=True)
class DeadLetter:
    """What a listing shows of a letter: everything but its body (which may hold personal
    data), of which only the size is given."""

    id: int
    consumer: str
    kind: str
    event_type: str | None
    subject: str
    stream_seq: int | None
    deliveries: int
    reason: str
    size: int
    created_at: datetime
    replayed_at: datetime | None
    replay_outcome: str | None


@dataclass(frozen=True)
class Replay:
    """The outcome of replaying one letter: applied, duplicate, already_replayed (settled), or
    refused (never replayable as it is), failed (the handler refused it again), not_found."""

    id: int
    outcome: str
    detail: str = ""

    @property
    def settled(self) -> bool:
        return self.outcome in SETTLED


async def list_dead_letters(session: AsyncSession, *, replayed: bool = False) -> list[DeadLetter]:
    """The letters not yet replayed, oldest first; with ``replayed``, all of them."""
    query = select(
        _columns.id,
        _columns.consumer,
        _columns.kind,
        _columns.event_type,
        _columns.subject,
        _columns.stream_seq,
        _columns.deliveries,
        _columns.reason,
        func.length(_columns.payload).label("size"),
        _columns.created_at,
        _columns.replayed_at,
        _columns.replay_outcome,
    ).order_by(_columns.id)
    if not replayed:
        query = query.where(_columns.replayed_at.is_(None))
    return [DeadLetter(**row._asdict()) for row in await session.execute(query)]


async def pending_ids(session: AsyncSession) -> list[int]:
    """The ids of the letters not yet replayed, oldest first (``replay --all``)."""
    query = select(_columns.id).where(_columns.replayed_at.is_(None)).order_by(_columns.id)
    return list(await session.scalars(query))


def _signature(headers: str) -> str | None:
    try:
        value = json.loads(headers).get(SIGNATURE_HEADER)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


async def replay(
    sessionmaker: async_sessionmaker[AsyncSession],
    subscriptions: Sequence[Subscription],
    verifier: EventVerifier,
    letter_id: int,
    *,
    namespace: str = "",
) -> Replay:
    """Replay one letter (see the module's docstring); mark it replayed when it is settled."""
    async with sessionmaker() as session:
        row = (
            await session.execute(select(dead_letters_t).where(_columns.id == letter_id))
        ).one_or_none()
    if row is None:
        return Replay(letter_id, "not_found", "no such dead letter")
    if row.replayed_at is not None:
        return Replay(letter_id, "already_replayed", f"{row.replay_outcome}, {row.replayed_at}")
    if row.kind in NEVER_REPLAYED:
        return Replay(letter_id, "refused", f"a {row.kind} message is never replayed")
    sub = next((s for s in subscriptions if s.durable == row.consumer), None)
    if sub is None:
        return Replay(letter_id, "refused", f"no consumer {row.consumer!r} in this service")
    if row.headers is None:
        return Replay(
            letter_id,
            "refused",
            "kept without its headers: its signature cannot be checked; re-publish the event "
            "from its publisher's outbox instead",
        )
    found = examine(
        verifier, sub.publisher, row.subject, bytes(row.payload), _signature(row.headers), namespace
    )
    if isinstance(found, Refusal):
        return Replay(letter_id, "refused", found.reason)
    registration = sub.handlers.get(found.type)
    if registration is None:
        return Replay(letter_id, "refused", f"{sub.durable} does not handle {found.type}")
    try:
        outcome = await apply_event(sessionmaker, sub.durable, registration, found)
    except ValidationError as exc:
        return Replay(letter_id, "failed", f"invalid data: {exc.errors(include_input=False)}")
    except PoisonEvent as exc:
        return Replay(letter_id, "failed", f"poison: {exc}")
    except Exception as exc:  # RetryLater, or whatever the handler raised: still not applicable
        return Replay(letter_id, "failed", f"{type(exc).__name__}: {exc}")
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(dead_letters_t)
            .where(_columns.id == letter_id, _columns.replayed_at.is_(None))
            .values(replayed_at=utcnow(), replay_outcome=outcome)
        )
    return Replay(letter_id, outcome)
