"""Job fairs: the bureau organises them and records who takes part and who attended."""

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends

from services.jobs.dependencies import BureauWriter, PartnerOrStaffReader, StaffReader
from services.jobs.employers.schemas import employer_summary
from services.jobs.errors import JobFairNotFound
from services.jobs.fairs import repository as repo
from services.jobs.fairs import service
from services.jobs.fairs.schemas import FairEmployerAdd, JobFairCreate, JobFairPublic
from services.jobs.fairs.tables import JobFair
from services.jobs.workers import service as workers
from services.jobs.workers.schemas import WorkerRef
from shared.db import SessionDep
from shared.loader import loader
from shared.openapi import responses
from shared.pagination import Cursor, Limit, Page
from shared.runtime import Today

router = APIRouter(prefix="/v1/jobs")


FairById = Annotated[JobFair, Depends(loader(repo.get_fair, JobFairNotFound, param="fair_id"))]


async def fairs_public(session: SessionDep, fairs: Sequence[JobFair]) -> list[JobFairPublic]:
    """Fairs as shown, their employers and attendance read for all of them at once."""
    ids = [f.id for f in fairs]
    employers = await repo.fair_employers(session, ids)
    attendees = await repo.fair_attendee_counts(session, ids)
    return [
        JobFairPublic.model_validate(
            fair.model_dump()
            | {
                "employers": [employer_summary(e) for e in employers[fair.id]],
                "attendee_count": attendees[fair.id],
            }
        )
        for fair in fairs
    ]


async def fair_public(session: SessionDep, fair: JobFair) -> JobFairPublic:
    [shown] = await fairs_public(session, [fair])
    return shown


@router.post(
    "/job-fairs",
    status_code=201,
    response_model=JobFairPublic,
    tags=["job fairs"],
    operation_id="createJobFair",
    summary="Organise a job fair",
    responses=responses(401, 403, 404, 409, 422),
)
async def create_job_fair(
    body: JobFairCreate, identity: BureauWriter, session: SessionDep
) -> JobFairPublic:
    fair = await service.create_fair(session, body, identity)
    return await fair_public(session, fair)


@router.get(
    "/job-fairs",
    response_model=Page[JobFairPublic],
    tags=["job fairs"],
    operation_id="listJobFairs",
    summary="List job fairs",
    responses=responses(401, 403, 404, 422),
)
async def list_job_fairs(
    identity: PartnerOrStaffReader, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[JobFairPublic]:
    items, next_cursor = await repo.list_fairs(session, limit=limit, cursor=cursor)
    return Page(items=await fairs_public(session, items), next_cursor=next_cursor)


@router.get(
    "/job-fairs/{fair_id}",
    response_model=JobFairPublic,
    tags=["job fairs"],
    operation_id="getJobFair",
    summary="Read a job fair",
    responses=responses(401, 403, 404, 422),
)
async def get_job_fair(
    identity: PartnerOrStaffReader, fair: FairById, session: SessionDep
) -> JobFairPublic:
    return await fair_public(session, fair)


@router.post(
    "/job-fairs/{fair_id}/employers",
    status_code=201,
    response_model=JobFairPublic,
    tags=["job fairs"],
    operation_id="addJobFairEmployer",
    summary="An employer takes part in the fair",
    responses=responses(401, 403, 404, 409, 422),
)
async def add_job_fair_employer(
    body: FairEmployerAdd, identity: BureauWriter, fair: FairById, session: SessionDep
) -> JobFairPublic:
    await service.add_fair_employer(session, fair, body.employer_id)
    return await fair_public(session, fair)


@router.post(
    "/job-fairs/{fair_id}/attendees",
    status_code=201,
    response_model=JobFairPublic,
    tags=["job fairs"],
    operation_id="addJobFairAttendee",
    summary="Record a worker's attendance",
    responses=responses(401, 403, 404, 409, 422),
)
async def add_job_fair_attendee(
    body: WorkerRef, identity: BureauWriter, fair: FairById, session: SessionDep, today: Today
) -> JobFairPublic:
    """Attendance is recorded on or after the day of the fair, once per worker."""
    worker = await workers.get_worker(session, body.worker_id)
    await service.add_fair_attendee(session, fair, worker, today)
    return await fair_public(session, fair)


@router.get(
    "/job-fairs/{fair_id}/attendees",
    response_model=list[uuid.UUID],
    tags=["job fairs"],
    operation_id="listJobFairAttendees",
    summary="Workers who attended",
    responses=responses(401, 403, 404, 422),
)
async def list_job_fair_attendees(
    identity: StaffReader, fair: FairById, session: SessionDep
) -> list[uuid.UUID]:
    """Ids of the workers who attended (staff and auditors)."""
    return await repo.fair_attendees(session, fair.id)
