"""The Weng'an worker registry: ID number and phone stored encrypted, with a lookup hash, and
masked."""

import uuid
from datetime import date, datetime

from sqlalchemy import JSON
from sqlmodel import Field

from services.jobs.base import JobsModel
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
