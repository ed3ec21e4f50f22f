"""Job fairs, the employers taking part and the workers who attended."""

import uuid
from datetime import date, datetime

from sqlmodel import Field

from services.jobs.base import JobsModel
from shared.db import UTCDateTime, new_id, utcnow


class JobFairBase(JobsModel):
    name: str = Field(max_length=200)
    held_on: date = Field(index=True)
    location: str = Field(max_length=200)
    township: str | None = Field(
        default=None, max_length=100, description="Weng'an township, when held in Weng'an."
    )
    description: str = Field(default="", max_length=5000)


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
