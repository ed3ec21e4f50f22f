"""Every query of job fairs. Functions take the session first and never commit."""

import uuid
from collections.abc import Sequence

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


async def fair_employers(
    session: AsyncSession, fair_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Employer]]:
    """The employers taking part in each of these fairs, by name (one query for a page)."""
    out: dict[uuid.UUID, list[Employer]] = {fair_id: [] for fair_id in fair_ids}
    if not fair_ids:
        return out
    result = await session.execute(
        select(JFE.fair_id, Employer)
        .join(JobFairEmployer, JFE.employer_id == E.id)
        .where(JFE.fair_id.in_(set(fair_ids)))
        .order_by(E.name)
    )
    for fair_id, employer in result.all():
        out[fair_id].append(employer)
    return out


async def fair_attendee_counts(
    session: AsyncSession, fair_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many workers attended each of these fairs (one grouped count for a page)."""
    out = dict.fromkeys(fair_ids, 0)
    if not fair_ids:
        return out
    result = await session.execute(
        select(JFA.fair_id, func.count())
        .where(JFA.fair_id.in_(set(fair_ids)))
        .group_by(JFA.fair_id)
    )
    out.update({fair_id: int(count) for fair_id, count in result.all()})
    return out


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
