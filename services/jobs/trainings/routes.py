"""Training sessions: the bureau organises them and records attendance and completion."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends

from services.jobs.dependencies import BureauWriter, PartnerOrStaffReader, StaffReader
from services.jobs.errors import TrainingNotFound
from services.jobs.trainings import repository as repo
from services.jobs.trainings import service
from services.jobs.trainings.schemas import (
    CompletionCreate,
    TrainingAttendeePublic,
    TrainingCreate,
    TrainingPublic,
)
from services.jobs.trainings.tables import TrainingSession
from services.jobs.workers import service as workers
from services.jobs.workers.schemas import WorkerRef
from shared.db import SessionDep
from shared.loader import loader
from shared.openapi import responses
from shared.pagination import Cursor, Limit, Page
from shared.runtime import Today

router = APIRouter(prefix="/v1/jobs")


TrainingById = Annotated[
    TrainingSession, Depends(loader(repo.get_training, TrainingNotFound, param="session_id"))
]


async def trainings_public(
    session: SessionDep, trainings: Sequence[TrainingSession]
) -> list[TrainingPublic]:
    """Sessions as shown, their attendance and completions counted for all of them at once."""
    counts = await repo.training_counts(session, [t.id for t in trainings])
    return [
        TrainingPublic.model_validate(
            training.model_dump()
            | {"attendee_count": counts[training.id][0], "completed_count": counts[training.id][1]}
        )
        for training in trainings
    ]


async def training_public(session: SessionDep, training: TrainingSession) -> TrainingPublic:
    [shown] = await trainings_public(session, [training])
    return shown


@router.post(
    "/trainings",
    status_code=201,
    response_model=TrainingPublic,
    tags=["training"],
    operation_id="createTraining",
    summary="Organise a training session",
    responses=responses(401, 403, 404, 409, 422),
)
async def create_training(
    body: TrainingCreate, identity: BureauWriter, session: SessionDep
) -> TrainingPublic:
    """A labour training session; `ends_on` not before `starts_on`."""
    training = await service.create_training(session, body, identity)
    return await training_public(session, training)


@router.get(
    "/trainings",
    response_model=Page[TrainingPublic],
    tags=["training"],
    operation_id="listTrainings",
    summary="List training sessions",
    responses=responses(401, 403, 404, 422),
)
async def list_trainings(
    identity: PartnerOrStaffReader, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[TrainingPublic]:
    items, next_cursor = await repo.list_trainings(session, limit=limit, cursor=cursor)
    return Page(items=await trainings_public(session, items), next_cursor=next_cursor)


@router.get(
    "/trainings/{session_id}",
    response_model=TrainingPublic,
    tags=["training"],
    operation_id="getTraining",
    summary="Read a training session",
    responses=responses(401, 403, 404, 422),
)
async def get_training(
    identity: PartnerOrStaffReader, training: TrainingById, session: SessionDep
) -> TrainingPublic:
    return await training_public(session, training)


@router.post(
    "/trainings/{session_id}/attendees",
    status_code=201,
    response_model=TrainingAttendeePublic,
    tags=["training"],
    operation_id="addTrainingAttendee",
    summary="Record a worker's attendance",
    responses=responses(401, 403, 404, 409, 422),
)
async def add_training_attendee(
    body: WorkerRef,
    identity: BureauWriter,
    training: TrainingById,
    session: SessionDep,
    today: Today,
) -> TrainingAttendeePublic:
    """Once the session has started; once per worker."""
    worker = await workers.get_worker(session, body.worker_id)
    attendee = await service.add_training_attendee(session, training, worker, today)
    return TrainingAttendeePublic.model_validate(attendee, from_attributes=True)


@router.get(
    "/trainings/{session_id}/attendees",
    response_model=list[TrainingAttendeePublic],
    tags=["training"],
    operation_id="listTrainingAttendees",
    summary="Attendance and completion",
    responses=responses(401, 403, 404, 422),
)
async def list_training_attendees(
    identity: StaffReader, training: TrainingById, session: SessionDep
) -> list[TrainingAttendeePublic]:
    return [
        TrainingAttendeePublic.model_validate(a, from_attributes=True)
        for a in await repo.training_attendees(session, training.id)
    ]


@router.post(
    "/trainings/{session_id}/completions",
    response_model=TrainingAttendeePublic,
    tags=["training"],
    operation_id="completeTraining",
    summary="A worker completed the session",
    responses=responses(401, 403, 404, 409, 422),
)
async def complete_training(
    body: CompletionCreate,
    identity: BureauWriter,
    training: TrainingById,
    session: SessionDep,
    today: Today,
) -> TrainingAttendeePublic:
    """For a worker whose attendance is recorded; `completed_on` between the start of the session
    and today. Publishes `jobs.training.completed`."""
    worker = await workers.get_worker(session, body.worker_id)
    attendee = await service.complete_training(session, training, worker, body, today)
    return TrainingAttendeePublic.model_validate(attendee, from_attributes=True)
