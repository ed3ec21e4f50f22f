"""Tables and API schemas of the jobs service, on its own metadata.

Families: ``XBase`` (fields shared by the table and the API) → ``XCreate`` / ``XUpdate`` (input,
unknown fields forbidden) / ``X`` (the table) / ``XPublic`` (what a response shows). Enumerated
values are plain strings in the tables (no database enum types) and ``Literal`` in the inputs.
"""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import ConfigDict, StringConstraints, field_validator, model_validator
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlmodel import Field, SQLModel

from shared.db import UTCDateTime, new_id, new_registry, utcnow
from shared.events import add_event_tables
from shared.pii import normalize_national_id, normalize_phone
from shared.validation import as_written


class JobsModel(SQLModel, registry=new_registry()):
    pass


metadata = JobsModel.metadata
event_tables = add_event_tables(metadata)

EmployerKind = Literal["haizhu_partner", "workshop", "dedicated_post"]
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
EndReason = Literal["resigned", "dismissed", "contract_ended", "employer_closed", "other"]
PostingSort = Literal["newest", "salary_desc", "valid_through"]

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
MAX_SALARY_FEN = 100_000_000  # 1,000,000 yuan a month: anything above is a typing error
MAX_OPENINGS = 10_000
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN)]


def _in_range(value: date | None, what: str) -> date | None:
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"{what} must be between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


def uuid_column(fk: str | None = None, *, nullable: bool = False, index: bool = True) -> Any:
    args: list[Any] = [Uuid()]
    if fk:
        args.append(ForeignKey(fk))
    return Column(*args, nullable=nullable, index=index)


class Input(JobsModel):
    """Every request body forbids unknown fields (mass assignment → 422)."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, data: Any) -> Any:
        return as_written(cls, data)


# ---------------------------------------------------------------------------------------------
# Employers: Haizhu partners, Weng'an workshops (扶贫车间) and dedicated-post units (扶贫专岗)


class EmployerBase(JobsModel):
    name: str = Field(min_length=1, max_length=200)
    location: str = Field(
        min_length=1, max_length=100, description="District (Haizhu) or township (Weng'an)."
    )
    address: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=5000)
    contact: str = Field(
        default="", max_length=200, description="How job seekers and the bureau reach the office."
    )


class EmployerCreate(Input):
    kind: EmployerKind
    name: Name
    location: Place
    address: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=5000)
    contact: str = Field(default="", max_length=200)

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "haizhu_partner",
                    "name": "Guangzhou Pearl River Electronics Co.",
                    "location": "Haizhu",
                    "address": "88 Xingang Road, Haizhu District, Guangzhou",
                    "description": "Consumer electronics assembly.",
                    "contact": "HR office, hr@example.com",
                }
            ]
        },
    )


class EmployerUpdate(Input):
    name: Name | None = None
    location: Place | None = None
    address: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    contact: str | None = Field(default=None, max_length=200)

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={"examples": [{"contact": "Recruitment desk, jobs@example.com"}]},
    )


class Employer(EmployerBase, table=True):
    __tablename__ = "employers"
    __table_args__ = (
        UniqueConstraint("kind", "name"),
        CheckConstraint(
            "kind IN ('haizhu_partner', 'workshop', 'dedicated_post')", name="kind_known"
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    kind: str = Field(max_length=20)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class EmployerPublic(EmployerBase):
    id: uuid.UUID
    kind: EmployerKind
    created_at: datetime

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={
            "examples": [
                {
                    "id": "0b9c7a1e-5d2f-4c3b-8a6e-1f2d3c4b5a69",
                    "kind": "haizhu_partner",
                    "name": "Guangzhou Pearl River Electronics Co.",
                    "location": "Haizhu",
                    "address": "88 Xingang Road, Haizhu District, Guangzhou",
                    "description": "Consumer electronics assembly.",
                    "contact": "HR office, hr@example.com",
                    "created_at": "2026-01-10T02:00:00Z",
                }
            ]
        }
    )


# ---------------------------------------------------------------------------------------------
# Job postings


class PostingBase(JobsModel):
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=10000)
    category: str = Field(max_length=30, index=True)
    employment_type: str = Field(max_length=20)
    district: str = Field(max_length=100, index=True)
    address: str = Field(default="", max_length=300)
    salary_min_fen: int
    salary_max_fen: int
    openings: int
    requirements: str = Field(default="", max_length=5000)
    housing: bool = False
    meals: bool = False
    travel: bool = Field(default=False, description="Travel to Haizhu paid or reimbursed.")
    benefits_note: str = Field(default="", max_length=1000)
    contact: str = Field(default="", max_length=200)
    valid_through: date


POSTING_EXAMPLE: dict[str, Any] = {
    "title": "Assembly line operator (electronics)",
    "description": "Assemble and test phone chargers on a clean, air-conditioned line.",
    "category": "manufacturing",
    "employment_type": "full_time",
    "district": "Haizhu",
    "address": "88 Xingang Road, Haizhu District, Guangzhou",
    "salary_min_fen": 450000,
    "salary_max_fen": 650000,
    "openings": 20,
    "requirements": "Aged 18–45; no experience needed; two weeks' paid training.",
    "housing": True,
    "meals": True,
    "travel": True,
    "benefits_note": "Dormitory of 4 per room; return ticket at Spring Festival.",
    "contact": "HR office, hr@example.com",
    "valid_through": "2026-12-31",
}


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

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid", json_schema_extra={"examples": [POSTING_EXAMPLE]}
    )

    @field_validator("valid_through")
    @classmethod
    def _valid_through_range(cls, value: date) -> date:
        _in_range(value, "valid_through")
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

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={"examples": [{"openings": 30, "salary_max_fen": 700000}]},
    )

    @field_validator("valid_through")
    @classmethod
    def _valid_through_range(cls, value: date | None) -> date | None:
        return _in_range(value, "valid_through")

    @model_validator(mode="after")
    def _salary_range(self) -> Self:
        check_salary_range(self.salary_min_fen, self.salary_max_fen)
        return self


class Posting(PostingBase, table=True):
    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("openings >= 1", name="openings_positive"),
        CheckConstraint("hires >= 0 AND hires <= openings", name="hires_within_openings"),
        CheckConstraint(
            "salary_min_fen >= 0 AND salary_min_fen <= salary_max_fen", name="salary_range"
        ),
        CheckConstraint(
            "status IN ('draft', 'open', 'closed', 'filled', 'expired')", name="status_known"
        ),
        Index("ix_postings_status_valid_through", "status", "valid_through"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    employer_id: uuid.UUID = Field(sa_column=uuid_column("employers.id"))
    status: str = Field(default="draft", max_length=10)
    hires: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_on: date | None = Field(default=None, index=True)  # local date, for statistics
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EmployerSummary(JobsModel):
    id: uuid.UUID
    name: str
    kind: EmployerKind
    location: str


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
        json_schema_extra={
            "examples": [
                POSTING_EXAMPLE
                | {
                    "id": "2d7e0c55-7f6a-4a1e-9c3b-5e8d1f0a2b47",
                    "employer": {
                        "id": "0b9c7a1e-5d2f-4c3b-8a6e-1f2d3c4b5a69",
                        "name": "Guangzhou Pearl River Electronics Co.",
                        "kind": "haizhu_partner",
                        "location": "Haizhu",
                    },
                    "status": "open",
                    "hires": 4,
                    "openings_remaining": 16,
                    "created_at": "2026-06-01T02:00:00Z",
                    "updated_at": "2026-06-02T02:00:00Z",
                    "published_at": "2026-06-02T02:00:00Z",
                    "closed_at": None,
                }
            ]
        }
    )


# ---------------------------------------------------------------------------------------------
# Workers (personal data)


class WorkerBase(JobsModel):
    name: str = Field(max_length=100)
    township: str = Field(max_length=100, index=True)
    poor_household: bool = Field(
        default=False, description="Member of a registered poor household (建档立卡户)."
    )


class WorkerCreate(Input):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    national_id: str = Field(
        max_length=30, description="18 characters with a MOD 11-2 check character."
    )
    phone: str | None = Field(default=None, max_length=30, description="Mobile number.")
    township: Place
    poor_household: bool = False
    skills: list[Skill] = Field(default_factory=list, max_length=30)

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Wang Fang",
                    "national_id": "522725199001010025",
                    "phone": "13800000000",
                    "township": "Houchang",
                    "poor_household": True,
                    "skills": ["sewing", "forklift"],
                }
            ]
        },
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

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid", json_schema_extra={"examples": [{"national_id": "522725199001010025"}]}
    )

    @field_validator("national_id")
    @classmethod
    def _national_id(cls, value: str) -> str:
        return normalize_national_id(value)


class Worker(WorkerBase, table=True):
    __tablename__ = "workers"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    national_id_encrypted: str = Field(max_length=200)
    national_id_hash: str = Field(max_length=64, unique=True)
    national_id_masked: str = Field(max_length=20)
    phone_encrypted: str | None = Field(default=None, max_length=200)
    phone_hash: str | None = Field(default=None, max_length=64, index=True)
    phone_masked: str | None = Field(default=None, max_length=20)
    skills: list[str] = Field(default_factory=list, sa_type=JSON)
    registered_on: date
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WorkerPublic(WorkerBase):
    """A worker as labour-bureau staff and auditors see them: ID number and phone masked."""

    id: uuid.UUID
    national_id_masked: str
    phone_masked: str | None
    skills: list[str]
    registered_on: date
    created_at: datetime

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={
            "examples": [
                {
                    "id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10",
                    "name": "Wang Fang",
                    "national_id_masked": "522***********0025",
                    "phone_masked": "138****0000",
                    "township": "Houchang",
                    "poor_household": True,
                    "skills": ["sewing", "forklift"],
                    "registered_on": "2026-03-01",
                    "created_at": "2026-03-01T01:30:00Z",
                }
            ]
        }
    )


class ApplicantPublic(JobsModel):
    """An applicant as the posting's employer sees them: no ID number, no poor-household flag."""

    id: uuid.UUID
    name: str
    township: str
    skills: list[str]


# ---------------------------------------------------------------------------------------------
# Applications


class ApplicationCreate(Input):
    worker_id: uuid.UUID
    note: str = Field(default="", max_length=1000)

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "worker_id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10",
                    "note": "Met the employer at the March job fair.",
                }
            ]
        },
    )


class Application(JobsModel, table=True):
    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("posting_id", "worker_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    posting_id: uuid.UUID = Field(sa_column=uuid_column("postings.id"))
    worker_id: uuid.UUID = Field(sa_column=uuid_column("workers.id"))
    status: str = Field(default="submitted", max_length=20)
    note: str = Field(default="", max_length=1000)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApplicationPublic(JobsModel):
    id: uuid.UUID
    posting_id: uuid.UUID
    status: Literal["submitted", "hired"]
    note: str
    created_at: datetime
    applicant: ApplicantPublic

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={
            "examples": [
                {
                    "id": "7c2d4e6f-8a1b-4c3d-9e5f-0a1b2c3d4e5f",
                    "posting_id": "2d7e0c55-7f6a-4a1e-9c3b-5e8d1f0a2b47",
                    "status": "submitted",
                    "note": "Met the employer at the March job fair.",
                    "created_at": "2026-03-09T03:00:00Z",
                    "applicant": {
                        "id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10",
                        "name": "Wang Fang",
                        "township": "Houchang",
                        "skills": ["sewing"],
                    },
                }
            ]
        }
    )


# ---------------------------------------------------------------------------------------------
# Job fairs


class JobFairBase(JobsModel):
    name: str = Field(max_length=200)
    held_on: date = Field(index=True)
    location: str = Field(max_length=200)
    township: str | None = Field(
        default=None, max_length=100, description="Weng'an township, when held in Weng'an."
    )
    description: str = Field(default="", max_length=5000)


class JobFairCreate(Input):
    name: Name
    held_on: date
    location: Name
    township: Place | None = None
    description: str = Field(default="", max_length=5000)

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Haizhu–Weng'an spring job fair",
                    "held_on": "2026-03-08",
                    "location": "Weng'an County Stadium",
                    "township": "Yongyang",
                    "description": "Joint fair with 30 Haizhu partners.",
                }
            ]
        },
    )

    @field_validator("held_on")
    @classmethod
    def _held_on(cls, value: date) -> date:
        _in_range(value, "held_on")
        return value


class JobFair(JobFairBase, table=True):
    __tablename__ = "job_fairs"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class JobFairEmployer(JobsModel, table=True):
    __tablename__ = "job_fair_employers"

    fair_id: uuid.UUID = Field(foreign_key="job_fairs.id", primary_key=True)
    employer_id: uuid.UUID = Field(foreign_key="employers.id", primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class JobFairAttendee(JobsModel, table=True):
    __tablename__ = "job_fair_attendees"

    fair_id: uuid.UUID = Field(foreign_key="job_fairs.id", primary_key=True)
    worker_id: uuid.UUID = Field(foreign_key="workers.id", primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class JobFairPublic(JobFairBase):
    id: uuid.UUID
    created_at: datetime
    employers: list[EmployerSummary]
    attendee_count: int

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={
            "examples": [
                {
                    "id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                    "name": "Haizhu–Weng'an spring job fair",
                    "held_on": "2026-03-08",
                    "location": "Weng'an County Stadium",
                    "township": "Yongyang",
                    "description": "Joint fair with 30 Haizhu partners.",
                    "created_at": "2026-02-20T02:00:00Z",
                    "employers": [
                        {
                            "id": "0b9c7a1e-5d2f-4c3b-8a6e-1f2d3c4b5a69",
                            "name": "Guangzhou Pearl River Electronics Co.",
                            "kind": "haizhu_partner",
                            "location": "Haizhu",
                        }
                    ],
                    "attendee_count": 412,
                }
            ]
        }
    )


class FairEmployerAdd(Input):
    employer_id: uuid.UUID

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={"examples": [{"employer_id": "0b9c7a1e-5d2f-4c3b-8a6e-1f2d3c4b5a69"}]},
    )


class WorkerRef(Input):
    worker_id: uuid.UUID

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={"examples": [{"worker_id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10"}]},
    )


# ---------------------------------------------------------------------------------------------
# Training sessions


class TrainingBase(JobsModel):
    title: str = Field(max_length=200)
    topic: str = Field(default="", max_length=200)
    provider: str = Field(default="", max_length=200)
    starts_on: date = Field(index=True)
    ends_on: date
    location: str = Field(max_length=200)
    township: str | None = Field(default=None, max_length=100)


class TrainingCreate(Input):
    title: Name
    topic: str = Field(default="", max_length=200)
    provider: str = Field(default="", max_length=200)
    starts_on: date
    ends_on: date
    location: Name
    township: Place | None = None

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Electrician basics",
                    "topic": "electrical",
                    "provider": "Haizhu Vocational Training Centre",
                    "starts_on": "2026-04-01",
                    "ends_on": "2026-04-14",
                    "location": "Jiangjiehe relocation site training room",
                    "township": "Jiangjiehe",
                }
            ]
        },
    )

    @model_validator(mode="after")
    def _dates(self) -> Self:
        _in_range(self.starts_on, "starts_on")
        _in_range(self.ends_on, "ends_on")
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class TrainingSession(TrainingBase, table=True):
    __tablename__ = "training_sessions"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_in_order"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TrainingAttendee(JobsModel, table=True):
    __tablename__ = "training_attendees"

    session_id: uuid.UUID = Field(foreign_key="training_sessions.id", primary_key=True)
    worker_id: uuid.UUID = Field(foreign_key="workers.id", primary_key=True)
    completed_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TrainingPublic(TrainingBase):
    id: uuid.UUID
    created_at: datetime
    attendee_count: int
    completed_count: int

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={
            "examples": [
                {
                    "id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
                    "title": "Electrician basics",
                    "topic": "electrical",
                    "provider": "Haizhu Vocational Training Centre",
                    "starts_on": "2026-04-01",
                    "ends_on": "2026-04-14",
                    "location": "Jiangjiehe relocation site training room",
                    "township": "Jiangjiehe",
                    "created_at": "2026-03-20T02:00:00Z",
                    "attendee_count": 40,
                    "completed_count": 37,
                }
            ]
        }
    )


class TrainingAttendeePublic(JobsModel):
    session_id: uuid.UUID
    worker_id: uuid.UUID
    completed_on: date | None

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={
            "examples": [
                {
                    "session_id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
                    "worker_id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10",
                    "completed_on": "2026-04-14",
                }
            ]
        }
    )


class CompletionCreate(Input):
    worker_id: uuid.UUID
    completed_on: date

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"worker_id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10", "completed_on": "2026-04-14"}
            ]
        },
    )


# ---------------------------------------------------------------------------------------------
# Placements and monthly confirmations


class PlacementCreate(Input):
    """A partner names its own open ``posting_id``; labour-bureau staff name the ``employer_id``
    of a workshop or dedicated-post unit. The other field must be absent."""

    worker_id: uuid.UUID
    posting_id: uuid.UUID | None = None
    employer_id: uuid.UUID | None = None
    start_date: date
    monthly_wage_fen: int = Field(ge=1, le=MAX_SALARY_FEN)
    note: str = Field(default="", max_length=1000)

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "worker_id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10",
                    "posting_id": "2d7e0c55-7f6a-4a1e-9c3b-5e8d1f0a2b47",
                    "start_date": "2026-05-04",
                    "monthly_wage_fen": 520000,
                },
                {
                    "worker_id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10",
                    "employer_id": "0b9c7a1e-5d2f-4c3b-8a6e-1f2d3c4b5a69",
                    "start_date": "2026-05-04",
                    "monthly_wage_fen": 180000,
                },
            ]
        },
    )

    @field_validator("start_date")
    @classmethod
    def _start(cls, value: date) -> date:
        _in_range(value, "start_date")
        return value


class Placement(JobsModel, table=True):
    __tablename__ = "placements"
    __table_args__ = (
        # One active placement per worker per employer.
        Index(
            "uq_placements_active_worker_employer",
            "worker_id",
            "employer_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
        CheckConstraint("status IN ('active', 'ended')", name="status_known"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        CheckConstraint("monthly_wage_fen > 0", name="wage_positive"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    worker_id: uuid.UUID = Field(sa_column=uuid_column("workers.id"))
    employer_id: uuid.UUID = Field(sa_column=uuid_column("employers.id"))
    employer_kind: str = Field(max_length=20)
    posting_id: uuid.UUID | None = Field(
        default=None, sa_column=uuid_column("postings.id", nullable=True)
    )
    # The worker's township and poor-household flag at the hire, as reported in the event.
    township: str = Field(max_length=100, index=True)
    poor_household: bool
    start_date: date
    monthly_wage_fen: int
    status: str = Field(default="active", max_length=10)
    end_date: date | None = None
    end_reason: str | None = Field(default=None, max_length=20)
    end_note: str = Field(default="", max_length=1000)
    note: str = Field(default="", max_length=1000)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConfirmationPublic(JobsModel):
    id: uuid.UUID
    placement_id: uuid.UUID
    month: str
    wage_paid_fen: int
    supersedes: uuid.UUID | None
    superseded: bool = Field(description="A later correction replaced this record.")
    note: str
    created_at: datetime

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={
            "examples": [
                {
                    "id": "9a3e5c71-2b4d-4f6a-8c1e-3d5f7a9b1c20",
                    "placement_id": "5b1c9e2a-8d3f-4e6a-b1c2-7d8e9f0a1b2c",
                    "month": "2026-05",
                    "wage_paid_fen": 520000,
                    "supersedes": None,
                    "superseded": False,
                    "note": "",
                    "created_at": "2026-06-01T01:00:00Z",
                }
            ]
        }
    )


class PlacementPublic(JobsModel):
    id: uuid.UUID
    worker_id: uuid.UUID
    employer_id: uuid.UUID
    employer_kind: EmployerKind
    posting_id: uuid.UUID | None
    township: str
    poor_household: bool
    start_date: date
    monthly_wage_fen: int
    status: Literal["active", "ended"]
    end_date: date | None
    end_reason: EndReason | None
    note: str
    created_at: datetime
    confirmed_months: list[str] = Field(
        default_factory=list, description="Months with a current confirmation, in order."
    )
    next_month_to_confirm: str | None = Field(
        default=None, description="The month the next confirmation must be for."
    )

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={
            "examples": [
                {
                    "id": "5b1c9e2a-8d3f-4e6a-b1c2-7d8e9f0a1b2c",
                    "worker_id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10",
                    "employer_id": "0b9c7a1e-5d2f-4c3b-8a6e-1f2d3c4b5a69",
                    "employer_kind": "haizhu_partner",
                    "posting_id": "2d7e0c55-7f6a-4a1e-9c3b-5e8d1f0a2b47",
                    "township": "Houchang",
                    "poor_household": True,
                    "start_date": "2026-03-02",
                    "monthly_wage_fen": 520000,
                    "status": "active",
                    "end_date": None,
                    "end_reason": None,
                    "note": "",
                    "created_at": "2026-03-02T01:00:00Z",
                    "confirmed_months": ["2026-03", "2026-04"],
                    "next_month_to_confirm": "2026-05",
                }
            ]
        }
    )


class PlacementEnd(Input):
    end_date: date
    reason: EndReason
    note: str = Field(default="", max_length=1000)

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [{"end_date": "2026-09-30", "reason": "resigned", "note": "Went home."}]
        },
    )

    @field_validator("end_date")
    @classmethod
    def _end(cls, value: date) -> date:
        _in_range(value, "end_date")
        return value


class ConfirmationCreate(Input):
    """Confirm one month of employment. To correct a month already confirmed, send the same
    ``month`` with ``corrects`` set to the id of the record being replaced. A correction may
    set ``wage_paid_fen`` to 0 when the month turns out not to have been worked or paid (found
    later by an inspection); the month then no longer counts as employed."""

    month: Month
    wage_paid_fen: int = Field(
        ge=0,
        le=MAX_SALARY_FEN,
        description="Wage paid for the month; positive, or 0 on a correction only.",
    )
    corrects: uuid.UUID | None = None
    note: str = Field(default="", max_length=1000)

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"month": "2026-05", "wage_paid_fen": 520000},
                {
                    "month": "2026-05",
                    "wage_paid_fen": 540000,
                    "corrects": "9a3e5c71-2b4d-4f6a-8c1e-3d5f7a9b1c20",
                    "note": "Overtime was left out.",
                },
            ]
        },
    )

    @model_validator(mode="after")
    def _zero_only_on_correction(self) -> Self:
        if self.wage_paid_fen == 0 and self.corrects is None:
            raise ValueError(
                "wage_paid_fen must be positive; 0 is allowed only on a correction "
                "(with corrects naming the record of a month that was not worked or paid)"
            )
        return self


class Confirmation(JobsModel, table=True):
    __tablename__ = "placement_confirmations"
    __table_args__ = (
        # One original record per placement and month; corrections chain through `supersedes`,
        # and a record can be superseded only once.
        Index(
            "uq_confirmations_original_month",
            "placement_id",
            "month",
            unique=True,
            postgresql_where=text("supersedes IS NULL"),
            sqlite_where=text("supersedes IS NULL"),
        ),
        UniqueConstraint("supersedes"),
        # 0 only on a correction: a month found later not to have been worked or paid.
        CheckConstraint(
            "wage_paid_fen > 0 OR (wage_paid_fen = 0 AND supersedes IS NOT NULL)",
            name="wage_positive",
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    placement_id: uuid.UUID = Field(sa_column=uuid_column("placements.id"))
    month: str = Field(sa_type=String(7))
    wage_paid_fen: int
    supersedes: uuid.UUID | None = Field(
        default=None,
        sa_column=uuid_column("placement_confirmations.id", nullable=True, index=False),
    )
    note: str = Field(default="", max_length=1000)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# ---------------------------------------------------------------------------------------------
# Statistics


class Statistics(JobsModel):
    """What the program reports (see PROGRAM.md), for the period and township asked for."""

    period_from: date | None
    period_to: date | None
    township: str | None
    stable_months: int = Field(description="Consecutive confirmed months that count as stable.")
    jobs_offered: int = Field(description="Sum of openings of postings published in the period.")
    postings: int = Field(description="Postings published in the period.")
    job_fairs_held: int
    training_sessions: int = Field(description="Sessions that started in the period.")
    people_trained: int = Field(description="Distinct workers who completed training.")
    people_trained_poor: int
    placements: int = Field(description="Placements that started in the period.")
    placements_poor: int
    workers_in_stable_employment: int
    workers_in_stable_employment_poor: int
    total_wages_paid_fen: int = Field(description="Confirmed wages of months in the period.")
    total_wages_paid_poor_fen: int

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={
            "examples": [
                {
                    "period_from": None,
                    "period_to": "2020-12-31",
                    "township": None,
                    "stable_months": 6,
                    "jobs_offered": 3000,
                    "postings": 212,
                    "job_fairs_held": 9,
                    "training_sessions": 39,
                    "people_trained": 1702,
                    "people_trained_poor": 1558,
                    "placements": 3120,
                    "placements_poor": 2803,
                    "workers_in_stable_employment": 2950,
                    "workers_in_stable_employment_poor": 2803,
                    "total_wages_paid_fen": 9500000000,
                    "total_wages_paid_poor_fen": 8700000000,
                }
            ]
        }
    )
