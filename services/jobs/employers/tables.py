"""Employers: Haizhu partner organisations, Weng'an poverty-alleviation workshops (扶贫车间) and
dedicated-post units (扶贫专岗)."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field

from services.jobs.base import JobsModel
from shared.db import UTCDateTime, new_id, utcnow


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
