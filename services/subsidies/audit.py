"""The append-only, hash-chained audit trail of the subsidies service (RELIABILITY #28).

Every state change (program version, fund change, application transition, payee change, batch
export and reconciliation) appends one entry: who, when, what, from which state to which, why.
Each entry's ``hash`` is SHA-256 over the canonical JSON of its content plus the previous entry's
hash, so changing, inserting or removing any row breaks the chain from that row on. On
PostgreSQL a trigger also refuses UPDATE and DELETE of audit rows.

Check the chain from a shell::

    python -m services.subsidies.audit verify

(exit code 0 when intact, 1 with the first broken entry otherwise), or ``GET
/v1/subsidies/audit/verify`` as an auditor.
"""

import argparse
import asyncio
import hashlib
import json
import sys
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies import repository as repo
from services.subsidies.models import AuditEntry, AuditVerification

GENESIS = "0" * 64


def entry_hash(
    *,
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
    return hashlib.sha256(canonical.encode()).hexdigest()


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
    await repo.lock_audit_chain(session)
    prev = await repo.last_audit_hash(session) or GENESIS
    entry_id = uuid.uuid4()
    at = at.astimezone(UTC)
    digest = entry_hash(
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


async def verify_chain(session: AsyncSession, *, page: int = 1000) -> AuditVerification:
    """Walk the chain in order; report the first entry whose link or content does not hold."""
    prev = GENESIS
    last_seq = 0
    checked = 0
    while True:
        entries = await repo.audit_entries_from(session, last_seq, page)
        if not entries:
            return AuditVerification(ok=True, entries_checked=checked)
        for e in entries:
            checked += 1
            assert e.seq is not None
            if e.prev_hash != prev:
                return AuditVerification(
                    ok=False,
                    entries_checked=checked,
                    first_broken_seq=e.seq,
                    problem=f"entry {e.seq} does not link to the entry before it (an entry was "
                    "removed, inserted or its link edited)",
                )
            digest = entry_hash(
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
            if digest != e.hash:
                return AuditVerification(
                    ok=False,
                    entries_checked=checked,
                    first_broken_seq=e.seq,
                    problem=f"entry {e.seq}'s content does not match its hash (it was edited)",
                )
            prev = e.hash
            last_seq = e.seq


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check the subsidies audit trail's hash chain.")
    parser.add_argument("action", choices=["verify"])
    parser.parse_args(argv)

    from services.subsidies.config import get_settings
    from shared.db import make_engine, make_sessionmaker

    async def run() -> AuditVerification:
        engine = make_engine(get_settings().database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return await verify_chain(session)
        finally:
            await engine.dispose()

    result = asyncio.run(run())
    sys.stdout.write(result.model_dump_json() + "\n")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
