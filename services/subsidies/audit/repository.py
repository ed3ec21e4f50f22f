"""Repository of the subsidies service's audit feature."""

import uuid
import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.audit.tables import AuditEntry
from services.subsidies.queries import AU
from shared.db import is_postgres
from shared.errors import Unprocessable
from shared.pagination import BAD_CURSOR, Keyset, decode_cursor, keyset_page

AUDIT_LOCK_KEY = zlib.crc32(b"subsidies:audit-chain")


_LOCK_HELD = "audit_chain_locked"  # Session.info: the root transaction that holds the lock


async def lock_audit_chain(session: AsyncSession) -> None:
    """Serialise appends so two transactions never chain onto the same predecessor. The lock
    is the transaction's until it ends, so it is asked for once per transaction (a writer
    takes it first, then again with every entry it appends): unless taken inside a savepoint,
    whose rollback may release it."""
    if not is_postgres(session):
        return
    root = session.sync_session.get_transaction()
    if root is not None and session.info.get(_LOCK_HELD) is root:
        return
    await session.execute(select(func.pg_advisory_xact_lock(AUDIT_LOCK_KEY)))
    if not session.in_nested_transaction():
        session.info[_LOCK_HELD] = session.sync_session.get_transaction()


async def last_audit_hash(session: AsyncSession) -> str | None:
    return await session.scalar(select(AU.hash).order_by(AU.seq.desc()).limit(1))


async def audit_head(session: AsyncSession) -> tuple[int, str] | None:
    row = (await session.execute(select(AU.seq, AU.hash).order_by(AU.seq.desc()).limit(1))).first()
    return None if row is None else (row.seq, row.hash)


async def export_entry(session: AsyncSession, batch_id: uuid.UUID) -> AuditEntry | None:
    """The entry written with a batch's export (its file's trailer names it)."""
    return await session.scalar(
        select(AuditEntry)
        .where(AU.entity_id == batch_id, AU.action == "batch.exported")
        .order_by(AU.seq)
        .limit(1)
    )


async def audit_entries_from(
    session: AsyncSession, after_seq: int, limit: int
) -> Sequence[AuditEntry]:
    return (
        await session.scalars(
            select(AuditEntry).where(AU.seq > after_seq).order_by(AU.seq).limit(limit)
        )
    ).all()


class ChainOrder(Keyset):
    """The trail's order: by ``seq`` alone, the order the entries were chained. (The kit's
    time-then-id order is not that: an entry's ``at`` is its request's time, read before the
    chain's lock was taken.) Local adapter: the cursor keeps the one format, ``{"t": at,
    "id": seq}``, and ``id`` alone places the page."""

    def after(self, cursor: str | None) -> Any | None:
        value = decode_cursor(cursor)
        if value is None:
            return None
        try:
            datetime.fromisoformat(value["t"])
            seq = int(value["id"])
        except (KeyError, TypeError, ValueError):
            raise Unprocessable(BAD_CURSOR) from None
        return self.ident > seq

    def order_by(self) -> tuple[Any, ...]:
        return (self.ident.asc(),)


IN_CHAIN_ORDER = ChainOrder(AU.at, AU.seq, parse_id=int)


async def list_audit(
    session: AsyncSession, *, entity_id: uuid.UUID | None, limit: int, cursor: str | None
) -> tuple[list[AuditEntry], str | None]:
    """Entries in the order they were written, optionally of one entity."""
    query = select(AuditEntry)
    if entity_id:
        query = query.where(AU.entity_id == entity_id)
    return await keyset_page(session, query, IN_CHAIN_ORDER, limit=limit, cursor=cursor)
