"""Every query of workers. Functions take the session first and never commit."""

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.db import like
from services.jobs.workers.tables import Worker, WorkerChange
from shared.db import columns
from shared.pagination import Keyset, keyset_page

W = columns(Worker)
C = columns(WorkerChange)
NEWEST = Keyset(W.created_at, W.id, newest_first=True)
NEWEST_CHANGE = Keyset(C.changed_at, C.id, newest_first=True)


async def get_worker(session: AsyncSession, worker_id: uuid.UUID) -> Worker | None:
    return await session.get(Worker, worker_id)


async def find_worker_by_id_hash(session: AsyncSession, id_hash: str) -> Worker | None:
    result = await session.execute(select(Worker).where(W.national_id_hash == id_hash))
    return result.scalar_one_or_none()


async def list_workers(
    session: AsyncSession,
    *,
    township: str | None,
    poor_household: bool | None,
    name: str | None,
    id_last_digits: str | None = None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Worker], str | None]:
    query = select(Worker)
    if township:
        query = query.where(W.township == township)
    if poor_household is not None:
        query = query.where(W.poor_household == poor_household)
    if name:
        query = query.where(W.name.ilike(like(name), escape="\\"))
    if id_last_digits:
        # The masked number keeps the last four characters; the caller's digits are checked
        # (digits or X only), so they hold no LIKE wildcard.
        query = query.where(W.national_id_masked.endswith(id_last_digits))
    return await keyset_page(session, query, NEWEST, limit=limit, cursor=cursor)


async def lock_worker(session: AsyncSession, worker: Worker) -> None:
    """Re-read the worker's row under a lock: two edits of one record take turns, and the audit
    records each one's old values as they were."""
    await session.refresh(worker, with_for_update=True)


async def last_change_at(session: AsyncSession, worker_id: uuid.UUID) -> datetime | None:
    """When this worker's record was last corrected (None if never)."""
    return await session.scalar(select(func.max(C.changed_at)).where(C.worker_id == worker_id))


async def list_changes(
    session: AsyncSession, worker_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[list[WorkerChange], str | None]:
    query = select(WorkerChange).where(C.worker_id == worker_id)
    return await keyset_page(session, query, NEWEST_CHANGE, limit=limit, cursor=cursor)
