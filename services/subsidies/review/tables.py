"""Tables of the subsidies service's review feature."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field

from services.subsidies.base import SubsidiesModel
from shared.db import UTCDateTime, new_id, utcnow


class Application(SubsidiesModel, table=True):
    __tablename__ = "applications"
    __table_args__ = (
        # Maker-checker (RELIABILITY #22): the approver is neither the verifier nor the creator.
        CheckConstraint(
            "approved_by IS NULL OR (verified_by IS NOT NULL AND approved_by <> "
            "verified_by AND approved_by <> created_by)",
            name="maker_checker",
        ),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        Index("ix_applications_program_month", "program_code", "month"),
    )
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    program_id: uuid.UUID = Field(foreign_key="programs.id")
    program_code: str = Field(max_length=50)
    program_version: int
    fund_id: uuid.UUID = Field(foreign_key="funds.id", index=True)
    beneficiary_kind: str = Field(max_length=20)
    beneficiary_id: uuid.UUID = Field(index=True)
    month: str = Field(max_length=7, description="The month the grant is for (YYYY-MM).")
    township: str = Field(max_length=200)
    amount_fen: int = Field(default=0, sa_type=BigInteger)
    state: str = Field(max_length=30, index=True)
    manual_reason: str | None = Field(default=None, max_length=1000)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    verified_by: str | None = Field(default=None, max_length=200)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_by: str | None = Field(default=None, max_length=200)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    notice_ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_reason: str | None = Field(default=None, max_length=1000)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApplicationLine(SubsidiesModel, table=True):
    """One person-month (or one one-off grant) inside an application. ``line_key`` is unique
    per program, so a re-delivered or re-evaluated event can never add the same grant twice."""

    __tablename__ = "application_lines"
    __table_args__ = (UniqueConstraint("program_code", "line_key"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    program_code: str = Field(max_length=50)
    line_key: str = Field(max_length=120)
    worker_id: uuid.UUID = Field(index=True)
    placement_id: uuid.UUID = Field(index=True)
    employer_kind: str = Field(max_length=30)
    month: str = Field(max_length=7)
    amount_fen: int = Field(sa_type=BigInteger)
    confirmation_id: uuid.UUID | None = None


class Objection(SubsidiesModel, table=True):
    """An objection to an application in public notice: recorded by a clerk (``upheld`` at
    once) or sent by the public (``recorded_by`` ``public``, ``open`` until a clerk decides).
    A member of the public may leave a phone number: kept encrypted, shown masked to staff.
    ``client_hash`` is a keyed hash of the sender's address (never the address), to count the
    objections one address sends."""

    __tablename__ = "objections"
    __table_args__ = (Index("ix_objections_client_hash_created_at", "client_hash", "created_at"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    text: str = Field(max_length=2000)
    recorded_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: str = Field(
        default="upheld", max_length=20, sa_column_kwargs={"server_default": "upheld"}
    )
    contact_encrypted: str | None = Field(default=None, max_length=200)
    contact_masked: str | None = Field(default=None, max_length=20)
    client_hash: str | None = Field(default=None, max_length=64)
    resolved_by: str | None = Field(default=None, max_length=200)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolution: str | None = Field(default=None, max_length=1000)
