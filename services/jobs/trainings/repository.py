"""Every query of training sessions. Functions take the session first and never commit."""

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.trainings.tables import TrainingAttendee, TrainingSession
from shared.db import columns
from shared.pagination import Keyset, keyset_page

TS = columns(TrainingSession)
TA = columns(TrainingAttendee)
NEWEST = Keyset(TS.created_at, TS.id, newest_first=True)


async def get_training(session: AsyncSession, session_id: uuid.UUID) -> TrainingSession | None:
    return await session.get(TrainingSession, session_id)


async def list_trainings(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> tuple[list[TrainingSession], str | None]:
    query = select(TrainingSession)
    return await keyset_page(session, query, NEWEST, limit=limit, cursor=cursor)


async def get_training_attendee(
    session: AsyncSession, session_id: uuid.UUID, worker_id: uuid.UUID
) -> TrainingAttendee | None:
    return await session.get(TrainingAttendee, (session_id, worker_id))


async def training_attendees(
    session: AsyncSession, session_id: uuid.UUID
) -> list[TrainingAttendee]:
    result = await session.execute(
        select(TrainingAttendee).where(TA.session_id == session_id).order_by(TA.created_at)
    )
    return list(result.scalars())


async def training_counts(
    session: AsyncSession, session_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    """(attendees, completions) of each of these sessions (one grouped count for a page)."""
    out = dict.fromkeys(session_ids, (0, 0))
    if not session_ids:
        return out
    result = await session.execute(
        select(TA.session_id, func.count(), func.count(TA.completed_on))
        .where(TA.session_id.in_(set(session_ids)))
        .group_by(TA.session_id)
    )
    out.update({sid: (int(attended), int(done)) for sid, attended, done in result.all()})
    return out
