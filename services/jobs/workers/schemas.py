"""API models of workers (masked personal data). Examples are in ``examples.py``."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import ConfigDict, JsonValue, StringConstraints, field_validator
from sqlmodel import Field

from services.jobs.base import Input, JobsModel, Place
from services.jobs.workers import examples
from services.jobs.workers.tables import WorkerBase
from shared.pii import normalize_national_id, normalize_phone

Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class WorkerCreate(Input):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    national_id: str = Field(
        max_length=30, description="18 characters with a MOD 11-2 check character."
    )
    phone: str | None = Field(default=None, max_length=30, description="Mobile number.")
    township: Place
    poor_household: bool = False
    skills: list[Skill] = Field(default_factory=list, max_length=30)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": examples.WORKER_CREATE},
    )

    @field_validator("national_id")
    @classmethod
    def _national_id(cls, value: str) -> str:
        return normalize_national_id(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalize_phone(value)


class WorkerLookup(Input):
    """Find a registered worker by national ID number (sent in the body, never in a URL)."""

    national_id: str = Field(max_length=30)

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": examples.WORKER_LOOKUP}
    )

    @field_validator("national_id")
    @classmethod
    def _national_id(cls, value: str) -> str:
        return normalize_national_id(value)


class WorkerPublic(WorkerBase):
    """A worker as labour-bureau staff and auditors see them: ID number and phone masked."""

    id: uuid.UUID
    national_id_masked: str
    phone_masked: str | None
    skills: list[str]
    registered_on: date
    created_at: datetime

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={"examples": examples.WORKER_PUBLIC}
    )


class WorkerUpdate(Input):
    """The fields of a worker's record that may be corrected. The national ID number cannot be
    changed: it is the worker's identity (its keyed hash keeps the registry free of twins, and
    placements, grants and payments hang on the worker). A worker registered under a wrong
    number is registered anew. ``phone: null`` removes the phone number."""

    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
        | None
    ) = None
    phone: str | None = Field(default=None, max_length=30, description="Mobile number.")
    township: Place | None = None
    poor_household: bool | None = None
    skills: list[Skill] | None = Field(default=None, max_length=30)
    reason: str = Field(
        default="", max_length=500, description="Why the record changes (kept in the audit)."
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": examples.WORKER_UPDATE},
    )

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalize_phone(value)


class FieldChange(JobsModel):
    field: str
    old: JsonValue
    new: JsonValue


class WorkerChangePublic(JobsModel):
    """One audited edit of a worker's record; phones masked."""

    id: uuid.UUID
    worker_id: uuid.UUID
    changes: list[FieldChange]
    reason: str
    changed_by: str = Field(description="`user:<id>` or `api_key:<id>`.")
    changed_by_name: str
    changed_at: datetime

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={"examples": examples.WORKER_CHANGE_PUBLIC}
    )


class WorkerRef(Input):
    worker_id: uuid.UUID

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": examples.WORKER_REF},
    )
