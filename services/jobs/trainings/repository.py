"""Every query of training sessions. Functions take the session first and never commit."""

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.db import page_by_created
from services.jobs.trainings.tables import TrainingAttendee, TrainingSession
from shared.db import columns

TS = columns(TrainingSession)
TA = columns(TrainingAttendee)


async def get_training(session: AsyncSession, session_id: uuid.UUID) -> TrainingSession | None:
    return await session.get(TrainingSession, session_id)


async def list_trainings(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> tuple[list[TrainingSession], str | None]:
    rows, next_cursor = await page_by_created(session, select(TrainingSession), TS, limit, cursor)
    return [r[0] for r in rows], next_cursor


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


async def training_counts(session: AsyncSession, session_id: uuid.UUID) -> tuple[int, int]:
    row = (
        await session.execute(
            select(func.count(), func.count(TA.completed_on)).where(TA.session_id == session_id)
        )
    ).one()
    return int(row[0]), int(row[1])
