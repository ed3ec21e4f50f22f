"""Placements (hires) and their monthly confirmations: corrections are new records that
supersede the one they correct, never edits."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint, exists, text
from sqlmodel import Field

from services.jobs.base import JobsModel, uuid_column
from shared.db import UTCDateTime, columns, new_id, utcnow


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


def is_current_confirmation() -> Any:
    """SQL condition: this confirmation is the one that counts for its month (no later record
    supersedes it)."""
    later = Confirmation.__table__.alias("later")  # type: ignore[attr-defined]
    return ~exists().where(later.c.supersedes == columns(Confirmation).id)
