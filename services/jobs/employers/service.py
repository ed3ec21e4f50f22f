"""Registering employers, a partner editing its profile, and loading an employer for the other
features; never commits."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs import events
from services.jobs.db import add_or_conflict, found
from services.jobs.employers import repository as repo
from services.jobs.employers.schemas import EmployerCreate, EmployerUpdate
from services.jobs.employers.tables import Employer
from services.jobs.errors import DuplicateEmployer, EmployerNotFound
from shared.db import utcnow
from shared.events import add_event
from shared.identity import Identity


async def register_employer(
    session: AsyncSession, data: EmployerCreate, actor: Identity
) -> Employer:
    if await repo.find_employer(session, data.kind, data.name) is not None:
        raise DuplicateEmployer(data.kind)
    employer = Employer(**data.model_dump(), created_by=actor.actor)
    await add_or_conflict(session, employer, DuplicateEmployer(data.kind))
    await add_event(
        session,
        events.EmployerRegistered(
            employer_id=employer.id, kind=data.kind, name=employer.name, location=employer.location
        ),
    )
    return employer


async def update_employer(
    session: AsyncSession, employer: Employer, data: EmployerUpdate
) -> Employer:
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "name" in changes and changes["name"] != employer.name:
        other = await repo.find_employer(session, employer.kind, changes["name"])
        if other is not None:
            raise DuplicateEmployer(employer.kind)
    for key, value in changes.items():
        setattr(employer, key, value)
    employer.updated_at = utcnow()
    await add_or_conflict(session, employer, DuplicateEmployer(employer.kind))
    return employer


async def find_employer(session: AsyncSession, employer_id: uuid.UUID) -> Employer | None:
    """The employer with this id, if any (other features load employers through here)."""
    return await repo.get_employer(session, employer_id)


async def get_employer(session: AsyncSession, employer_id: uuid.UUID) -> Employer:
    """The employer with this id, or ``EmployerNotFound``."""
    return found(await repo.get_employer(session, employer_id), EmployerNotFound, employer_id)
