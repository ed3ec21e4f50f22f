"""API models of a batch upload's answer."""

import uuid
from typing import Literal

from sqlmodel import Field, SQLModel


class BatchLineResult(SQLModel):
    line: int = Field(description="1-based line of the uploaded body (CSV: header is line 1).")
    receipt_number: str | None
    status: Literal["accepted", "rejected"]
    sale_id: uuid.UUID | None = None
    code: str | None = None
    reason: str | None = None


class BatchResult(SQLModel):
    batch_id: uuid.UUID
    format: Literal["ndjson", "csv"]
    lines: int
    sales_accepted: int
    sales_rejected: int
    lines_accepted: int
    lines_rejected: int
    total_grams: int
    total_fen: int
    results: list[BatchLineResult]
