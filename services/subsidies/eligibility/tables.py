"""Tables of the subsidies service's eligibility feature."""

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger
from sqlmodel import Field

from services.subsidies.base import SubsidiesModel
from shared.db import UTCDateTime, utcnow


class Employer(SubsidiesModel, table=True):
    __tablename__ = "employers"
    employer_id: uuid.UUID = Field(primary_key=True)
    kind: str = Field(max_length=30)
    name: str = Field(max_length=300)
    location: str = Field(max_length=200)


class Worker(SubsidiesModel, table=True):
    """A worker as the jobs events describe them. The name and ID number are kept only masked
    (王*明, 520***********1234), as the public notice (公示) shows them; None for workers whose
    registration event predates those fields. ``changed_at`` is the time of the latest
    correction applied (``jobs.worker.updated``), None while only the registration is known:
    an older or repeated correction, and any registration event, never overwrite a newer one."""

    __tablename__ = "workers"
    worker_id: uuid.UUID = Field(primary_key=True)
    township: str = Field(max_length=200)
    poor_household: bool
    registered_on: date
    name_masked: str | None = Field(default=None, max_length=100)
    national_id_masked: str | None = Field(default=None, max_length=20)
    changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Placement(SubsidiesModel, table=True):
    __tablename__ = "placements"
    placement_id: uuid.UUID = Field(primary_key=True)
    worker_id: uuid.UUID = Field(index=True)
    employer_id: uuid.UUID = Field(index=True)
    employer_kind: str = Field(max_length=30)
    posting_id: uuid.UUID | None = None
    poor_household: bool
    township: str = Field(max_length=200)
    start_date: date
    monthly_wage_fen: int = Field(sa_type=BigInteger)
    end_date: date | None = None
    end_reason: str | None = Field(default=None, max_length=500)


class MonthConfirmation(SubsidiesModel, table=True):
    """A month the employer confirmed; kept even when it arrives before its placement, and
    evaluated once the placement is known. A correction supersedes the record it names."""

    __tablename__ = "month_confirmations"
    confirmation_id: uuid.UUID = Field(primary_key=True)
    placement_id: uuid.UUID = Field(index=True)
    worker_id: uuid.UUID
    month: str = Field(max_length=7)
    wage_paid_fen: int = Field(sa_type=BigInteger)
    supersedes: uuid.UUID | None = None
    superseded: bool = Field(default=False)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
