"""Job postings (status ``draft → open → closed | filled | expired``) and the applications made to
them."""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field

from services.jobs.base import JobsModel, uuid_column
from shared.db import UTCDateTime, new_id, utcnow


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
