"""Labour training sessions and their attendees (with the day each completed)."""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field

from services.jobs.base import JobsModel
from shared.db import UTCDateTime, new_id, utcnow


class TrainingBase(JobsModel):
    title: str = Field(max_length=200)
    topic: str = Field(default="", max_length=200)
    provider: str = Field(default="", max_length=200)
    starts_on: date = Field(index=True)
    ends_on: date
    location: str = Field(max_length=200)
    township: str | None = Field(default=None, max_length=100)


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
