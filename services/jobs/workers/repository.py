"""Every query of workers. Functions take the session first and never commit."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.db import like
from services.jobs.workers.tables import Worker
from shared.db import columns
from shared.pagination import Keyset, keyset_page

W = columns(Worker)
NEWEST = Keyset(W.created_at, W.id, newest_first=True)


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
    return await keyset_page(session, query, NEWEST, limit=limit, cursor=cursor)
