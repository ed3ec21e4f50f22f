"""Tables of the subsidies service's payments feature."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field

from services.subsidies.base import SubsidiesModel
from shared.db import UTCDateTime, new_id, utcnow


class BatchState(StrEnum):
    draft = "draft"
    exported = "exported"
    reconciled = "reconciled"
    discarded = "discarded"  # before export, by a clerk; its applications went back to ready


class PaymentBatch(SubsidiesModel, table=True):
    __tablename__ = "payment_batches"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    state: str = Field(max_length=20)
    line_count: int
    total_fen: int = Field(sa_type=BigInteger)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    exported_by: str | None = Field(default=None, max_length=200)
    exported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reconciled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    discarded_by: str | None = Field(default=None, max_length=200)
    discarded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BatchLine(SubsidiesModel, table=True):
    __tablename__ = "batch_lines"
    __table_args__ = (UniqueConstraint("batch_id", "application_id"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    batch_id: uuid.UUID = Field(foreign_key="payment_batches.id", index=True)
    line_no: int
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    payee_id: uuid.UUID = Field(foreign_key="payees.id")
    amount_fen: int = Field(sa_type=BigInteger)
    status: str = Field(default="pending", max_length=20)
    bank_reference: str | None = Field(default=None, max_length=100)
    failure_reason: str | None = Field(default=None, max_length=500)
    settled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
