"""API models of training sessions. Examples are in ``examples.py``."""

import uuid
from datetime import date, datetime
from typing import Self

from pydantic import ConfigDict, model_validator
from sqlmodel import Field

from services.jobs.base import Input, JobsModel, Name, Place, in_range
from services.jobs.trainings import examples
from services.jobs.trainings.tables import TrainingBase


class TrainingCreate(Input):
    title: Name
    topic: str = Field(default="", max_length=200)
    provider: str = Field(default="", max_length=200)
    starts_on: date
    ends_on: date
    location: Name
    township: Place | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": examples.TRAINING_CREATE},
    )

    @model_validator(mode="after")
    def _dates(self) -> Self:
        in_range(self.starts_on, "starts_on")
        in_range(self.ends_on, "ends_on")
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class TrainingPublic(TrainingBase):
    id: uuid.UUID
    created_at: datetime
    attendee_count: int
    completed_count: int

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={"examples": examples.TRAINING_PUBLIC}
    )


class TrainingAttendeePublic(JobsModel):
    session_id: uuid.UUID
    worker_id: uuid.UUID
    completed_on: date | None

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={"examples": examples.TRAINING_ATTENDEE_PUBLIC}
    )


class CompletionCreate(Input):
    worker_id: uuid.UUID
    completed_on: date

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": examples.COMPLETION_CREATE},
    )
