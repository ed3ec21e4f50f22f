"""The employers and workers the jobs service told of: subsidies' own copy of them (masked
identity for the public notice, township, poor-household flag), kept from jobs events."""

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.eligibility import repository as repo
from services.subsidies.eligibility.tables import Employer, Worker


async def record_employer(
    session: AsyncSession, *, employer_id: uuid.UUID, kind: str, name: str, location: str
) -> None:
    employer = await repo.get_employer(session, employer_id)
    if employer is None:
        employer = Employer(employer_id=employer_id, kind=kind, name=name, location=location)
    else:
        employer.kind, employer.name, employer.location = kind, name, location
    session.add(employer)


async def record_worker(
    session: AsyncSession,
    *,
    worker_id: uuid.UUID,
    township: str,
    poor_household: bool,
    registered_on: date,
    name_masked: str | None = None,
    national_id_masked: str | None = None,
) -> None:
    """A worker registered in the jobs service, or registered again (a re-published event):
    the masked name and ID number are kept for the public notice; an event without them (one
    published before they existed) leaves those already known. A registration carries no time
    of change and comes before every correction: once a correction has been applied
    (``changed_at`` set), it only fills what is still unknown."""
    worker = await repo.get_worker(session, worker_id, for_update=True)
    if worker is None:
        worker = Worker(
            worker_id=worker_id,
            township=township,
            poor_household=poor_household,
            registered_on=registered_on,
        )
    elif worker.changed_at is None:
        worker.township, worker.poor_household = township, poor_household
    if name_masked is not None and (worker.changed_at is None or worker.name_masked is None):
        worker.name_masked = name_masked
    if national_id_masked is not None and (
        worker.changed_at is None or worker.national_id_masked is None
    ):
        worker.national_id_masked = national_id_masked
    session.add(worker)


async def update_worker(
    session: AsyncSession,
    *,
    worker_id: uuid.UUID,
    township: str,
    poor_household: bool,
    registered_on: date,
    name_masked: str,
    national_id_masked: str,
    changed_at: datetime,
) -> bool:
    """A correction of a worker in the jobs service (``jobs.worker.updated``, the worker's
    state after it): applied only if newer than the last one applied, so a redelivered or late
    older correction changes nothing; a correction that arrives before the registration makes
    the worker known (the registration then changes nothing). True if it was applied."""
    worker = await repo.get_worker(session, worker_id, for_update=True)
    if worker is None:
        worker = Worker(
            worker_id=worker_id,
            township=township,
            poor_household=poor_household,
            registered_on=registered_on,
        )
    elif worker.changed_at is not None and changed_at <= worker.changed_at:
        return False
    worker.township, worker.poor_household = township, poor_household
    worker.name_masked, worker.national_id_masked = name_masked, national_id_masked
    worker.changed_at = changed_at
    session.add(worker)
    return True
