"""The append-only, keyed hash chain of the subsidies service (RELIABILITY #28, #30).

Every state change (program version, fund change, application transition, payee change, batch
export and reconciliation) appends one entry: who, when, what, from which state to which, why.
Each entry's ``hash`` is HMAC-SHA256, keyed with ``SUBSIDIES_AUDIT_KEY``, over the canonical JSON
of its content plus the previous entry's hash. The database never holds the key, so whoever can
write the table (or disable its triggers) still cannot make an edited, inserted or recomputed
entry verify.

A prefix of a valid chain is itself valid, so the chain alone cannot show that its last entries
were removed. The head (seq, hash) is therefore anchored outside the database: in a JetStream
key-value bucket ``AUDIT_ANCHORS`` (key ``subsidies.head``, the last 64 anchors kept) after every
payment export and every ``SUBSIDIES_AUDIT_ANCHOR_SECONDS``, and in the trailer line of every
exported bank file. ``verify`` checks each anchored entry is still there with the same hash.

On PostgreSQL the service's role may only SELECT and INSERT audit rows (see
``shared.migrations``), and a trigger refuses UPDATE, DELETE and TRUNCATE whatever the role.

Check the chain from a shell (as the ``ops`` NATS user, to read the anchors)::

    python -m services.subsidies.audit verify

(exit code 0 when intact, 1 with the first problem otherwise), or ``GET
/v1/subsidies/audit/verify`` as an auditor.
"""

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import nats
import nats.js.errors
import structlog
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.kv import KeyValue
from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.subsidies.audit import repository as repo
from services.subsidies.audit.schemas import AuditVerification
from services.subsidies.audit.tables import AuditEntry
from shared.events.permissions import connect_options

log = structlog.get_logger("audit")


GENESIS = "0" * 64


ANCHOR_BUCKET = "AUDIT_ANCHORS"


ANCHOR_KEY = "subsidies.head"


ANCHOR_HISTORY = 64  # the most a JetStream key-value bucket keeps per key


CHAIN_INFO = "audit_chain"  # where a session finds the chain's key (Session.info)


ANCHORER_INFO = "audit_anchorer"  # and the service's anchorer, woken after an export


class Anchor(BaseModel):
    """The head of the chain as it was at ``at``: the entry ``seq`` had hash ``hash``."""

    seq: int
    hash: str
    at: datetime


@dataclass(frozen=True)
class ChainKey:
    """What writing and checking the chain need besides the database."""

    key: bytes
    legacy_until_seq: int = 0  # entries up to here predate the keyed chain (plain SHA-256)


def bind(
    sessionmaker: async_sessionmaker[AsyncSession],
    chain: ChainKey,
    anchorer: "AuditAnchorer | None" = None,
) -> None:
    """Give every session of this sessionmaker the chain's key (the service does it at start)
    and the anchorer to wake after a payment export."""
    sessionmaker.configure(info={CHAIN_INFO: chain, ANCHORER_INFO: anchorer})


def carried(session: AsyncSession) -> dict[str, Any]:
    """``info`` for another session on the same database that must append entries too."""
    return {CHAIN_INFO: chain_of(session)}


def chain_of(session: AsyncSession) -> ChainKey:
    chain = session.info.get(CHAIN_INFO)
    if not isinstance(chain, ChainKey):
        raise RuntimeError("no audit key bound to this session: call audit.bind() at start-up")
    return chain


def anchor_bucket(namespace: str = "") -> str:
    """``AUDIT_ANCHORS``, or ``<NS>_AUDIT_ANCHORS`` in a test namespace (like stream names)."""
    return f"{namespace.upper()}_{ANCHOR_BUCKET}" if namespace else ANCHOR_BUCKET


def entry_hash(
    *,
    key: bytes | None,
    entry_id: uuid.UUID,
    entity_type: str,
    entity_id: uuid.UUID,
    action: str,
    from_state: str | None,
    to_state: str | None,
    actor: str,
    reason: str | None,
    at: datetime,
    prev_hash: str,
) -> str:
    """HMAC-SHA256 with ``key``; plain SHA-256 (entries before the chain was keyed) without."""
    content = {
        "entry_id": str(entry_id),
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "actor": actor,
        "reason": reason,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if key is None:
        return hashlib.sha256(canonical.encode()).hexdigest()
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


async def serialize(session: AsyncSession) -> None:
    """Take the audit chain's lock first thing in every writing operation. Appends must be
    serialised anyway (each links to the last), and taking this lock before any row lock gives
    every transaction the same lock order, so two writers can never deadlock."""
    await repo.lock_audit_chain(session)


async def record(
    session: AsyncSession,
    *,
    entity_type: str,
    entity_id: uuid.UUID,
    action: str,
    actor: str,
    at: datetime,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction."""
    chain = chain_of(session)
    await repo.lock_audit_chain(session)
    prev = await repo.last_audit_hash(session) or GENESIS
    entry_id = uuid.uuid4()
    at = at.astimezone(UTC)
    digest = entry_hash(
        key=chain.key,
        entry_id=entry_id,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        reason=reason,
        at=at,
        prev_hash=prev,
    )
    entry = AuditEntry(
        entry_id=entry_id,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        reason=reason,
        at=at,
        prev_hash=prev,
        hash=digest,
    )
    session.add(entry)
    await session.flush()
    return entry


def anchor_after_commit(session: AsyncSession) -> None:
    """Anchor the head outside the database as soon as this transaction has committed (a
    payment export): an anchor taken before the commit could name an entry rolled back."""
    anchorer = session.info.get(ANCHORER_INFO)
    if isinstance(anchorer, AuditAnchorer):
        event.listen(session.sync_session, "after_commit", lambda _s: anchorer.wake(), once=True)


def trailer(entry: AuditEntry) -> str:
    """The bank file's last line: the audit head written with the export, for the record kept
    outside the database. One cell starting with ``#``: not a payment line."""
    return f"# audit-head seq={entry.seq} hash={entry.hash}"


def _recomputed_hash(e: AuditEntry, chain: ChainKey) -> str:
    """The entry's hash as its content says it should be (plain SHA-256 up to the legacy seq)."""
    assert e.seq is not None
    return entry_hash(
        key=None if e.seq <= chain.legacy_until_seq else chain.key,
        entry_id=e.entry_id,
        entity_type=e.entity_type,
        entity_id=e.entity_id,
        action=e.action,
        from_state=e.from_state,
        to_state=e.to_state,
        actor=e.actor,
        reason=e.reason,
        at=e.at,
        prev_hash=e.prev_hash,
    )


def _entry_problem(
    e: AuditEntry, prev: str, chain: ChainKey, anchored: Mapping[int, Anchor]
) -> str | None:
    """Why this entry breaks the chain (its link, its keyed hash, or an anchor of it), or None."""
    if e.prev_hash != prev:
        return (
            f"entry {e.seq} does not link to the entry before it (an entry was "
            "removed, inserted or its link edited)"
        )
    if not hmac.compare_digest(_recomputed_hash(e, chain), e.hash):
        return (
            f"entry {e.seq}'s content does not match its keyed hash (it was "
            "edited, or written without the audit key)"
        )
    anchor = anchored.get(e.seq) if e.seq is not None else None
    if anchor is not None and anchor.hash != e.hash:
        return (
            f"entry {e.seq} differs from the head anchored outside the database "
            f"at {anchor.at.isoformat()} (the chain was rewritten)"
        )
    return None


def _tail_verdict(
    anchors: Sequence[Anchor] | None, last_seq: int, checked: int
) -> AuditVerification:
    """The verdict on a chain whose every entry holds: only the anchors can show that entries
    were removed from its end."""
    if anchors is None:
        return AuditVerification(
            ok=False,
            entries_checked=checked,
            problem="the anchors outside the database (NATS key-value bucket "
            f"{ANCHOR_BUCKET}) could not be read, so a removed tail would go unseen; "
            "the chain itself holds up to here",
        )
    beyond = [a for a in anchors if a.seq > last_seq]
    if beyond:
        latest = max(beyond, key=lambda a: a.seq)
        return AuditVerification(
            ok=False,
            entries_checked=checked,
            first_broken_seq=last_seq + 1,
            problem=f"the chain ends at entry {last_seq}, but entry {latest.seq} was anchored "
            f"outside the database at {latest.at.isoformat()}: entries were removed from the end",
            anchors_checked=len(anchors),
        )
    return AuditVerification(ok=True, entries_checked=checked, anchors_checked=len(anchors))


async def verify_chain(
    session: AsyncSession, anchors: Sequence[Anchor] | None, *, page: int = 1000
) -> AuditVerification:
    """Walk the chain in order; report the first entry whose link or keyed hash does not hold,
    then check that every anchored head is still in the chain with the same hash. ``anchors``
    None means they could not be read: the chain alone cannot show a removed tail, so that is
    not a pass."""
    chain = chain_of(session)
    anchored = {a.seq: a for a in anchors or ()}
    prev = GENESIS
    last_seq = 0
    checked = 0
    while entries := await repo.audit_entries_from(session, last_seq, page):
        for e in entries:
            checked += 1
            assert e.seq is not None
            problem = _entry_problem(e, prev, chain, anchored)
            if problem is not None:
                return AuditVerification(
                    ok=False, entries_checked=checked, first_broken_seq=e.seq, problem=problem
                )
            prev = e.hash
            last_seq = e.seq
    return _tail_verdict(anchors, last_seq, checked)


async def anchor_store(
    js: JetStreamContext, namespace: str = "", *, create: bool, replicas: int = 1
) -> KeyValue | None:
    """The anchor bucket; created by the service, only opened by readers (None if absent)."""
    bucket = anchor_bucket(namespace)
    if create:
        return await js.create_key_value(
            bucket=bucket,
            description="Heads of the subsidies audit chain, anchored outside its database",
            history=ANCHOR_HISTORY,
            replicas=replicas,
        )
    try:
        return await js.key_value(bucket)
    except nats.js.errors.BucketNotFoundError:
        return None


async def read_anchors(kv: KeyValue | None) -> list[Anchor]:
    if kv is None:
        return []
    try:
        history = await kv.history(ANCHOR_KEY)
    except nats.js.errors.NoKeysError:
        return []
    return [Anchor.model_validate_json(e.value) for e in history if e.value]


async def anchor_head(session: AsyncSession, kv: KeyValue) -> Anchor | None:
    """Put the chain's committed head into the bucket unless it is already the latest anchor."""
    head = await repo.audit_head(session)
    if head is None:
        return None
    seq, digest = head
    try:
        latest = Anchor.model_validate_json((await kv.get(ANCHOR_KEY)).value or b"")
        if latest.seq == seq and latest.hash == digest:
            return latest
    except nats.js.errors.KeyNotFoundError:
        pass
    anchor = Anchor(seq=seq, hash=digest, at=datetime.now(UTC))
    await kv.put(ANCHOR_KEY, anchor.model_dump_json().encode())
    log.info("audit_head_anchored", seq=seq)
    return anchor


class AuditAnchorer:
    """The service's background task: anchors the head every ``interval`` seconds and when
    woken (after a payment export), retrying while NATS is away."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        namespace: str,
        interval: float,
        replicas: int = 1,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.namespace = namespace
        self.interval = interval
        self.replicas = replicas
        self._wake = asyncio.Event()
        self.kv: KeyValue | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self, nc_ready: asyncio.Event, nc_of: Any) -> None:
        await nc_ready.wait()
        while True:
            self._wake.clear()
            try:
                await self.anchor_once(nc_of())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS or the database away: try again next time
                log.warning("audit_anchor_failed", error=type(exc).__name__, detail=str(exc)[:200])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)

    async def anchor_once(self, nc: NATS) -> Anchor | None:
        if self.kv is None:
            self.kv = await anchor_store(
                nc.jetstream(), self.namespace, create=True, replicas=self.replicas
            )
        assert self.kv is not None
        async with self.sessionmaker() as session:
            return await anchor_head(session, self.kv)


async def read_anchors_from(nc: NATS | None, namespace: str) -> list[Anchor] | None:
    """The anchors, or None when they cannot be read (no connection, NATS error)."""
    if nc is None or not nc.is_connected:
        return None
    try:
        return await read_anchors(await anchor_store(nc.jetstream(), namespace, create=False))
    except Exception as exc:  # reported as "could not be read": verify does not pass
        log.warning("audit_anchors_unreadable", error=type(exc).__name__)
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.subsidies.audit",
        description="Check the subsidies audit trail: its keyed hash chain, and the heads "
        "anchored outside the database (in NATS, as the ops user).",
    )
    parser.add_argument("action", choices=["verify"])
    parser.parse_args(argv)

    from services.subsidies.config import get_settings
    from shared.db import make_engine, make_sessionmaker

    settings = get_settings()

    async def run() -> AuditVerification:
        anchors: list[Anchor] | None = None
        # As the operators' NATS user (ops), with its own reply subjects.
        options = connect_options(settings.nats_user, settings.nats_password.get_secret_value())
        nc: NATS | None = None

        async def quiet(_exc: Exception) -> None:
            pass

        try:
            nc = await nats.connect(
                settings.nats_url,
                name="ops-audit-verify",
                allow_reconnect=False,
                connect_timeout=3,
                max_reconnect_attempts=1,  # (0 would mean: forever)
                reconnect_time_wait=0.5,
                error_cb=quiet,
                **options,
            )
        except Exception as exc:  # verify says the anchors could not be read
            sys.stderr.write(f"cannot reach NATS at {settings.nats_url}: {type(exc).__name__}\n")
        engine = make_engine(settings.database_url)
        sessionmaker = make_sessionmaker(engine)
        bind(
            sessionmaker,
            ChainKey(
                settings.audit_key.get_secret_value().encode(),
                settings.audit_legacy_until_seq,
            ),
        )
        try:
            anchors = await read_anchors_from(nc, settings.event_namespace)
            async with sessionmaker() as session:
                return await verify_chain(session, anchors)
        finally:
            await engine.dispose()
            if nc is not None:
                await nc.close()

    result = asyncio.run(run())
    sys.stdout.write(result.model_dump_json() + "\n")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())


# What the other features read and change of this one: they never use its repository.


async def export_entry(session: AsyncSession, batch_id: uuid.UUID) -> AuditEntry | None:
    """The entry written with a batch's export (its file's trailer names it)."""
    return await repo.export_entry(session, batch_id)
