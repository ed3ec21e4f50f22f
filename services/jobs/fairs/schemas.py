"""API models of job fairs. Examples are in ``examples.py``."""

import uuid
from datetime import date, datetime

from pydantic import ConfigDict, field_validator
from sqlmodel import Field

from services.jobs.base import Input, Name, Place, in_range
from services.jobs.employers.schemas import EmployerSummary
from services.jobs.fairs import examples
from services.jobs.fairs.tables import JobFairBase


class JobFairCreate(Input):
    name: Name
    held_on: date
    location: Name
    township: Place | None = None
    description: str = Field(default="", max_length=5000)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": examples.JOB_FAIR_CREATE},
    )

    @field_validator("held_on")
    @classmethod
    def _held_on(cls, value: date) -> date:
        in_range(value, "held_on")
        return value


class JobFairPublic(JobFairBase):
    id: uuid.UUID
    created_at: datetime
    employers: list[EmployerSummary]
    attendee_count: int

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={"examples": examples.JOB_FAIR_PUBLIC}
    )


class FairEmployerAdd(Input):
    employer_id: uuid.UUID

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": examples.FAIR_EMPLOYER_ADD},
    )
