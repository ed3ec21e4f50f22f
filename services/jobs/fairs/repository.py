"""Every query of job fairs. Functions take the session first and never commit."""

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.employers.tables import Employer
from services.jobs.fairs.tables import JobFair, JobFairAttendee, JobFairEmployer
from shared.db import columns
from shared.pagination import Keyset, keyset_page

E = columns(Employer)
JF = columns(JobFair)
JFE = columns(JobFairEmployer)
JFA = columns(JobFairAttendee)
NEWEST = Keyset(JF.created_at, JF.id, newest_first=True)


async def get_fair(session: AsyncSession, fair_id: uuid.UUID) -> JobFair | None:
    return await session.get(JobFair, fair_id)


async def list_fairs(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> tuple[list[JobFair], str | None]:
    return await keyset_page(session, select(JobFair), NEWEST, limit=limit, cursor=cursor)


async def fair_employers(session: AsyncSession, fair_id: uuid.UUID) -> list[Employer]:
    result = await session.execute(
        select(Employer)
        .join(JobFairEmployer, JFE.employer_id == E.id)
        .where(JFE.fair_id == fair_id)
        .order_by(E.name)
    )
    return list(result.scalars())


async def fair_attendee_count(session: AsyncSession, fair_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(JobFairAttendee).where(JFA.fair_id == fair_id)
        )
        or 0
    )


async def fair_attendees(session: AsyncSession, fair_id: uuid.UUID) -> list[uuid.UUID]:
    result = await session.execute(
        select(JFA.worker_id).where(JFA.fair_id == fair_id).order_by(JFA.created_at)
    )
    return list(result.scalars())


async def fair_has_employer(
    session: AsyncSession, fair_id: uuid.UUID, employer_id: uuid.UUID
) -> bool:
    return await session.get(JobFairEmployer, (fair_id, employer_id)) is not None


async def fair_has_attendee(
    session: AsyncSession, fair_id: uuid.UUID, worker_id: uuid.UUID
) -> bool:
    return await session.get(JobFairAttendee, (fair_id, worker_id)) is not None
