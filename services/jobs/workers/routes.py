"""The worker registry: register, list, read, look up by national ID number (in the body)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.jobs.base import NO_NUL
from services.jobs.dependencies import BureauWriter, JobsRuntime, StaffReader
from services.jobs.errors import WorkerNotFound
from services.jobs.workers import repository as repo
from services.jobs.workers import service
from services.jobs.workers.schemas import (
    WorkerChangePublic,
    WorkerCreate,
    WorkerLookup,
    WorkerPublic,
    WorkerUpdate,
)
from services.jobs.workers.tables import Worker
from shared.db import SessionDep
from shared.loader import loader
from shared.openapi import responses
from shared.pagination import Cursor, Limit, Page
from shared.runtime import Today

router = APIRouter(prefix="/v1/jobs")


WorkerById = Annotated[Worker, Depends(loader(repo.get_worker, WorkerNotFound, param="worker_id"))]


def worker_public(worker: Worker) -> WorkerPublic:
    return WorkerPublic.model_validate(worker, from_attributes=True)


@router.post(
    "/workers",
    status_code=201,
    response_model=WorkerPublic,
    tags=["workers"],
    operation_id="registerWorker",
    summary="Register a Weng'an worker",
    responses=responses(401, 403, 404, 409, 422),
)
async def register_worker(
    body: WorkerCreate,
    identity: BureauWriter,
    session: SessionDep,
    runtime: JobsRuntime,
    today: Today,
) -> WorkerPublic:
    """Register a worker with their national ID number (checked: 18 characters, MOD 11-2) and
    mobile number, both stored encrypted and shown masked. Registering the same ID number again
    is 409 with `existing_worker_id`. Publishes `jobs.worker.registered` (name and ID number
    only masked)."""
    worker = await service.register_worker(session, runtime.vault, body, identity, today)
    return worker_public(worker)


@router.get(
    "/workers",
    response_model=Page[WorkerPublic],
    tags=["workers"],
    operation_id="listWorkers",
    summary="List workers",
    responses=responses(401, 403, 404, 422),
)
async def list_workers(
    identity: StaffReader,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    township: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    poor_household: bool | None = None,
    name: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    id_last_digits: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9Xx]{1,4}$",
            description="The last characters (1 to 4) of the national ID number, as the masked "
            "number shows them: `0025` finds `522***********0025`.",
        ),
    ] = None,
) -> Page[WorkerPublic]:
    """Registered workers, newest first; staff and auditors. ID numbers and phones masked.
    Filter by township, poor-household flag, part of the name and the ID number's last
    characters."""
    items, next_cursor = await repo.list_workers(
        session,
        township=township,
        poor_household=poor_household,
        name=name,
        id_last_digits=id_last_digits.upper() if id_last_digits else None,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[worker_public(w) for w in items], next_cursor=next_cursor)


@router.post(
    "/workers/lookup",
    response_model=WorkerPublic,
    tags=["workers"],
    operation_id="lookupWorker",
    summary="Find a worker by national ID number",
    responses=responses(401, 403, 404, 422),
)
async def lookup_worker(
    body: WorkerLookup, identity: StaffReader, session: SessionDep, runtime: JobsRuntime
) -> WorkerPublic:
    """The registered worker with this national ID number, or 404. The number travels in the
    body so that it never appears in a URL or an access log; nothing is changed."""
    worker = await service.find_by_national_id(session, runtime.vault, body.national_id)
    return worker_public(worker)


@router.get(
    "/workers/{worker_id}",
    response_model=WorkerPublic,
    tags=["workers"],
    operation_id="getWorker",
    summary="Read a worker",
    responses=responses(401, 403, 404, 422),
)
async def get_worker(identity: StaffReader, worker: WorkerById) -> WorkerPublic:
    return worker_public(worker)


@router.patch(
    "/workers/{worker_id}",
    response_model=WorkerPublic,
    tags=["workers"],
    operation_id="updateWorker",
    summary="Correct a worker's record",
    responses=responses(401, 403, 404, 422),
)
async def update_worker(
    body: WorkerUpdate,
    identity: BureauWriter,
    worker: WorkerById,
    session: SessionDep,
    runtime: JobsRuntime,
) -> WorkerPublic:
    """Change the name, phone, township, poor-household flag or skills (the national ID number
    never changes); bureau staff only. Each change is audited with the old and new values, who
    and when (`GET /workers/{id}/changes`); phones appear masked there too. A change of the
    masked name, township or poor-household flag publishes `jobs.worker.updated` (masked
    values only), which the subsidies service's public notice follows."""
    updated = await service.update_worker(session, runtime.vault, worker, body, identity)
    return worker_public(updated)


@router.get(
    "/workers/{worker_id}/changes",
    response_model=Page[WorkerChangePublic],
    tags=["workers"],
    operation_id="listWorkerChanges",
    summary="The audit of a worker's record",
    responses=responses(401, 403, 404, 422),
)
async def list_worker_changes(
    identity: StaffReader,
    worker: WorkerById,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[WorkerChangePublic]:
    """Every correction of the record, newest first: fields with old and new values (phones
    masked), who, when and why."""
    items, next_cursor = await repo.list_changes(session, worker.id, limit=limit, cursor=cursor)
    return Page(
        items=[WorkerChangePublic.model_validate(c, from_attributes=True) for c in items],
        next_cursor=next_cursor,
    )
