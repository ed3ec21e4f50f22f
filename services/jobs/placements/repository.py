"""Every query of placements and confirmations. Functions take the session first and never
commit."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.placements.tables import Confirmation, Placement, is_current_confirmation
from services.jobs.workers.tables import Worker
from shared.db import columns
from shared.pagination import Keyset, keyset_page

PL = columns(Placement)
C = columns(Confirmation)
NEWEST = Keyset(PL.created_at, PL.id, newest_first=True)


async def get_placement(session: AsyncSession, placement_id: uuid.UUID) -> Placement | None:
    return await session.get(Placement, placement_id)


async def lock_placement(session: AsyncSession, placement_id: uuid.UUID) -> Placement:
    """Re-read the placement with a row lock, so that confirmations and the end of one
    placement are decided one at a time."""
    result = await session.execute(
        select(Placement)
        .where(PL.id == placement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one()


async def lock_placements(
    session: AsyncSession, placement_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Placement]:
    """Many placements re-read with row locks in one query, always in id order (two batches
    naming the same placements wait for each other instead of deadlocking)."""
    if not placement_ids:
        return {}
    result = await session.execute(
        select(Placement)
        .where(PL.id.in_(set(placement_ids)))
        .order_by(PL.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {p.id: p for p in result.scalars()}


async def active_placement(
    session: AsyncSession, worker_id: uuid.UUID, employer_id: uuid.UUID
) -> Placement | None:
    result = await session.execute(
        select(Placement).where(
            PL.worker_id == worker_id,
            PL.employer_id == employer_id,
            PL.status == "active",
        )
    )
    return result.scalar_one_or_none()


async def list_placements(
    session: AsyncSession,
    *,
    employer_id: uuid.UUID | None,
    worker_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Placement], str | None]:
    query = select(Placement)
    if employer_id:
        query = query.where(PL.employer_id == employer_id)
    if worker_id:
        query = query.where(PL.worker_id == worker_id)
    if status:
        query = query.where(PL.status == status)
    return await keyset_page(session, query, NEWEST, limit=limit, cursor=cursor)


async def worker_names(
    session: AsyncSession, placements: Sequence[Placement]
) -> dict[uuid.UUID, str]:
    """The names of the placements' workers, in one query (a page shows who was hired)."""
    ids = {p.worker_id for p in placements}
    if not ids:
        return {}
    W = columns(Worker)
    result = await session.execute(select(W.id, W.name).where(W.id.in_(ids)))
    return {row.id: row.name for row in result}


async def get_confirmation(
    session: AsyncSession, confirmation_id: uuid.UUID
) -> Confirmation | None:
    return await session.get(Confirmation, confirmation_id)


async def confirmations(session: AsyncSession, placement_id: uuid.UUID) -> list[Confirmation]:
    """Every record of the placement, oldest first (corrections after what they correct)."""
    result = await session.execute(
        select(Confirmation).where(C.placement_id == placement_id).order_by(C.month, C.created_at)
    )
    return list(result.scalars())


async def current_confirmations(
    session: AsyncSession, placement_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Confirmation]]:
    """The record that counts for each placement and month (the latest of a correction chain)."""
    out: dict[uuid.UUID, dict[str, Confirmation]] = {pid: {} for pid in placement_ids}
    if not placement_ids:
        return out
    result = await session.execute(
        select(Confirmation).where(
            C.placement_id.in_(set(placement_ids)),
            is_current_confirmation(),
        )
    )
    for c in result.scalars():
        out[c.placement_id][c.month] = c
    return out


async def superseded_ids(session: AsyncSession, placement_id: uuid.UUID) -> set[uuid.UUID]:
    result = await session.execute(
        select(C.supersedes).where(
            C.placement_id == placement_id,
            C.supersedes.is_not(None),
        )
    )
    return set(result.scalars())
