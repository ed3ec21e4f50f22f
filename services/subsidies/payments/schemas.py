"""Schemas of the subsidies service's payments feature."""

import uuid
from datetime import datetime

from pydantic import ConfigDict
from sqlalchemy import BigInteger
from sqlmodel import Field

from services.subsidies.base import JsonInput, SubsidiesModel
from services.subsidies.payments.examples import BATCH_CREATE_EXAMPLES


class BatchCreate(JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={"examples": BATCH_CREATE_EXAMPLES},
    )
    application_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=5000)
    fund_id: uuid.UUID | None = None


class BatchLinePublic(SubsidiesModel):
    id: uuid.UUID
    line_no: int
    application_id: uuid.UUID
    payee_id: uuid.UUID
    account_number: str
    amount_fen: int
    status: str
    bank_reference: str | None
    failure_reason: str | None


class SkippedApplication(SubsidiesModel):
    application_id: uuid.UUID
    reason: str


class BatchPublic(SubsidiesModel):
    id: uuid.UUID
    state: str
    line_count: int
    total_fen: int = Field(sa_type=BigInteger)
    created_by: str
    created_at: datetime
    exported_by: str | None
    exported_at: datetime | None
    reconciled_at: datetime | None
    discarded_by: str | None = None
    discarded_at: datetime | None = None
    lines: list[BatchLinePublic] = []  # noqa: RUF012 (a pydantic field)
    # Only in the answer to making a batch of every ready application: those left out.
    skipped: list[SkippedApplication] = []  # noqa: RUF012 (a pydantic field)
