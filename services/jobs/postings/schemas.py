"""API models of postings and of the applications to them. Examples are in ``examples.py``."""

import uuid
from datetime import date, datetime
from typing import Literal, Self

from pydantic import ConfigDict, field_validator, model_validator
from sqlmodel import Field

from services.jobs.base import MAX_SALARY_FEN, Input, JobsModel, Name, Place, in_range
from services.jobs.employers.schemas import EmployerSummary
from services.jobs.postings import examples
from services.jobs.postings.tables import PostingBase

PostingStatus = Literal["draft", "open", "closed", "filled", "expired"]
JobCategory = Literal[
    "manufacturing",
    "construction",
    "logistics",
    "catering",
    "retail",
    "domestic_services",
    "cleaning_security",
    "healthcare_care",
    "agriculture",
    "it_services",
    "other",
]


EmploymentType = Literal["full_time", "part_time", "temporary", "seasonal", "internship"]
PostingSort = Literal["newest", "salary_desc", "valid_through"]
MAX_OPENINGS = 10_000


def check_salary_range(low: int | None, high: int | None) -> None:
    if low is not None and high is not None and low > high:
        raise ValueError("salary_min_fen must not be greater than salary_max_fen")


class PostingCreate(Input):
    title: Name
    description: str = Field(default="", max_length=10000)
    category: JobCategory
    employment_type: EmploymentType
    district: Place
    address: str = Field(default="", max_length=300)
    salary_min_fen: int = Field(ge=0, le=MAX_SALARY_FEN, description="Monthly, in fen.")
    salary_max_fen: int = Field(ge=0, le=MAX_SALARY_FEN, description="Monthly, in fen.")
    openings: int = Field(ge=1, le=MAX_OPENINGS)
    requirements: str = Field(default="", max_length=5000)
    housing: bool = False
    meals: bool = False
    travel: bool = False
    benefits_note: str = Field(default="", max_length=1000)
    contact: str = Field(default="", max_length=200)
    valid_through: date

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": examples.POSTING_CREATE}
    )

    @field_validator("valid_through")
    @classmethod
    def _valid_through_range(cls, value: date) -> date:
        in_range(value, "valid_through")
        return value

    @model_validator(mode="after")
    def _salary_range(self) -> Self:
        check_salary_range(self.salary_min_fen, self.salary_max_fen)
        return self


class PostingUpdate(Input):
    """Fields to change; absent fields stay as they are."""

    title: Name | None = None
    description: str | None = Field(default=None, max_length=10000)
    category: JobCategory | None = None
    employment_type: EmploymentType | None = None
    district: Place | None = None
    address: str | None = Field(default=None, max_length=300)
    salary_min_fen: int | None = Field(default=None, ge=0, le=MAX_SALARY_FEN)
    salary_max_fen: int | None = Field(default=None, ge=0, le=MAX_SALARY_FEN)
    openings: int | None = Field(default=None, ge=1, le=MAX_OPENINGS)
    requirements: str | None = Field(default=None, max_length=5000)
    housing: bool | None = None
    meals: bool | None = None
    travel: bool | None = None
    benefits_note: str | None = Field(default=None, max_length=1000)
    contact: str | None = Field(default=None, max_length=200)
    valid_through: date | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": examples.POSTING_UPDATE},
    )

    @field_validator("valid_through")
    @classmethod
    def _valid_through_range(cls, value: date | None) -> date | None:
        return in_range(value, "valid_through")

    @model_validator(mode="after")
    def _salary_range(self) -> Self:
        check_salary_range(self.salary_min_fen, self.salary_max_fen)
        return self


class PostingPublic(PostingBase):
    id: uuid.UUID
    employer: EmployerSummary
    status: PostingStatus = Field(
        description="An open posting past its valid-through date shows as expired."
    )
    hires: int
    openings_remaining: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    closed_at: datetime | None

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={"examples": examples.POSTING_PUBLIC}
    )


class ApplicantPublic(JobsModel):
    """An applicant as the posting's employer sees them: no ID number, no poor-household flag."""

    id: uuid.UUID
    name: str
    township: str
    skills: list[str]


class ApplicationCreate(Input):
    worker_id: uuid.UUID
    note: str = Field(default="", max_length=1000)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": examples.APPLICATION_CREATE},
    )


class ApplicationPublic(JobsModel):
    id: uuid.UUID
    posting_id: uuid.UUID
    status: Literal["submitted", "hired"]
    note: str
    created_at: datetime
    applicant: ApplicantPublic

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={"examples": examples.APPLICATION_PUBLIC}
    )
