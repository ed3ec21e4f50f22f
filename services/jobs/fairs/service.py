"""Organising a job fair, its employers and its attendance; never commits."""

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.db import add_or_conflict
from services.jobs.employers import service as employers
from services.jobs.errors import RuleViolation
from services.jobs.fairs import repository as repo
from services.jobs.fairs.schemas import JobFairCreate
from services.jobs.fairs.tables import JobFair, JobFairAttendee, JobFairEmployer
from services.jobs.workers.tables import Worker
from shared.errors import Conflict
from shared.identity import Identity


async def create_fair(session: AsyncSession, data: JobFairCreate, actor: Identity) -> JobFair:
    fair = JobFair(**data.model_dump(), created_by=actor.actor)
    session.add(fair)
    await session.flush()
    return fair


async def add_fair_employer(session: AsyncSession, fair: JobFair, employer_id: uuid.UUID) -> None:
    await employers.get_employer(session, employer_id)
    if await repo.fair_has_employer(session, fair.id, employer_id):
        raise Conflict("This employer already takes part in the job fair.")
    await add_or_conflict(
        session,
        JobFairEmployer(fair_id=fair.id, employer_id=employer_id),
        Conflict("This employer already takes part in the job fair."),
    )


async def add_fair_attendee(
    session: AsyncSession, fair: JobFair, worker: Worker, today: date
) -> None:
    if fair.held_on > today:
        raise RuleViolation(
            f"The job fair is on {fair.held_on}; attendance is recorded on or after that day."
        )
    if await repo.fair_has_attendee(session, fair.id, worker.id):
        raise Conflict("This worker's attendance is already recorded.")
    await add_or_conflict(
        session,
        JobFairAttendee(fair_id=fair.id, worker_id=worker.id),
        Conflict("This worker's attendance is already recorded."),
    )
