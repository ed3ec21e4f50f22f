"""Training sessions, attendance and completion (``jobs.training.completed``); never commits."""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs import events
from services.jobs.db import add_or_conflict
from services.jobs.errors import InvalidState, RuleViolation
from services.jobs.trainings import repository as repo
from services.jobs.trainings.schemas import CompletionCreate, TrainingCreate
from services.jobs.trainings.tables import TrainingAttendee, TrainingSession
from services.jobs.workers.tables import Worker
from shared.errors import Conflict
from shared.events import add_event
from shared.identity import Identity


async def create_training(
    session: AsyncSession, data: TrainingCreate, actor: Identity
) -> TrainingSession:
    training = TrainingSession(**data.model_dump(), created_by=actor.actor)
    session.add(training)
    await session.flush()
    return training


async def add_training_attendee(
    session: AsyncSession, training: TrainingSession, worker: Worker, today: date
) -> TrainingAttendee:
    if training.starts_on > today:
        raise RuleViolation(
            f"The session starts on {training.starts_on}; attendance is "
            "recorded once it has started."
        )
    if await repo.get_training_attendee(session, training.id, worker.id) is not None:
        raise Conflict("This worker's attendance is already recorded.")
    attendee = TrainingAttendee(session_id=training.id, worker_id=worker.id)
    await add_or_conflict(
        session, attendee, Conflict("This worker's attendance is already recorded.")
    )
    return attendee


async def complete_training(
    session: AsyncSession,
    training: TrainingSession,
    worker: Worker,
    data: CompletionCreate,
    today: date,
) -> TrainingAttendee:
    attendee = await repo.get_training_attendee(session, training.id, worker.id)
    if attendee is None:
        raise InvalidState(
            "This worker has no attendance recorded for the session; record attendance first."
        )
    if attendee.completed_on is not None:
        raise Conflict(f"This worker already completed the session on {attendee.completed_on}.")
    if data.completed_on < training.starts_on:
        raise RuleViolation(
            f"completed_on is before the session started ({training.starts_on}).",
            field="completed_on",
        )
    if data.completed_on > today:
        raise RuleViolation(
            f"completed_on is in the future; today is {today}.", field="completed_on"
        )
    attendee.completed_on = data.completed_on
    session.add(attendee)
    await session.flush()
    await add_event(
        session,
        events.TrainingCompleted(
            session_id=training.id,
            worker_id=worker.id,
            poor_household=worker.poor_household,
            completed_on=data.completed_on,
        ),
    )
    return attendee
