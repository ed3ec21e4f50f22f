"""API models of employers, and the short form other features show (``EmployerSummary``).
Examples are in ``examples.py``."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import ConfigDict
from sqlmodel import Field

from services.jobs.base import Input, JobsModel, Name, Place
from services.jobs.employers import examples
from services.jobs.employers.tables import Employer, EmployerBase

EmployerKind = Literal["haizhu_partner", "workshop", "dedicated_post"]


class EmployerCreate(Input):
    kind: EmployerKind
    name: Name
    location: Place
    address: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=5000)
    contact: str = Field(default="", max_length=200)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": examples.EMPLOYER_CREATE},
    )


class EmployerUpdate(Input):
    name: Name | None = None
    location: Place | None = None
    address: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    contact: str | None = Field(default=None, max_length=200)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": examples.EMPLOYER_UPDATE},
    )


class EmployerPublic(EmployerBase):
    id: uuid.UUID
    kind: EmployerKind
    created_at: datetime

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={"examples": examples.EMPLOYER_PUBLIC}
    )


class EmployerSummary(JobsModel):
    id: uuid.UUID
    name: str
    kind: EmployerKind
    location: str


def employer_summary(employer: Employer) -> EmployerSummary:
    return EmployerSummary(
        id=employer.id,
        name=employer.name,
        kind=employer.kind,  # type: ignore[arg-type]
        location=employer.location,
    )
