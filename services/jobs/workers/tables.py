"""The Weng'an worker registry: ID number and phone stored encrypted, with a lookup hash, and
masked."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field

from services.jobs.base import JobsModel, uuid_column
from shared.db import UTCDateTime, new_id, utcnow


class WorkerBase(JobsModel):
    name: str = Field(max_length=100)
    township: str = Field(max_length=100, index=True)
    poor_household: bool = Field(
        default=False, description="Member of a registered poor household (建档立卡户)."
    )


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


class WorkerChange(JobsModel, table=True):
    """One edit of a worker's record: who, when, why, and each field's old and new value. Phones
    appear masked, as everywhere else; the ID number never changes. Append-only: the service's
    database role may not update or delete a row."""

    __tablename__ = "worker_changes"
    __table_args__ = {"info": {"append_only": True}}  # noqa: RUF012 (SQLAlchemy reads it)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    worker_id: uuid.UUID = Field(sa_column=uuid_column("workers.id"))
    # [{"field": "township", "old": "Houchang", "new": "Languan"}, ...]
    changes: list[dict[str, Any]] = Field(sa_type=JSON)
    reason: str = Field(default="", max_length=500)
    changed_by: str = Field(max_length=200)
    changed_by_name: str = Field(default="", max_length=200)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
