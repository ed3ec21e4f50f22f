"""Schemas of the subsidies service's review feature."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import ConfigDict
from sqlmodel import Field

from services.subsidies.base import CODE_PATTERN, MONTH_PATTERN, JsonInput, SubsidiesModel
from services.subsidies.review.examples import (
    APPLICATION_CREATE_EXAMPLES,
    BULK_IDS_EXAMPLES,
    DECISION_EXAMPLES,
    NOTE_EXAMPLES,
    OBJECTION_EXAMPLES,
    REASON_EXAMPLES,
)


class ApplicationLinePublic(SubsidiesModel):
    worker_id: uuid.UUID
    placement_id: uuid.UUID
    month: str
    amount_fen: int
    confirmation_id: uuid.UUID | None


class ObjectionCreate(JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={"examples": OBJECTION_EXAMPLES},
    )
    text: str = Field(min_length=1, max_length=2000)


class ObjectionPublic(SubsidiesModel):
    id: uuid.UUID
    text: str
    recorded_by: str = Field(
        description="The clerk who recorded it, or `public` (`public:<caller>` when signed "
        "in) for one sent through the public notice."
    )
    created_at: datetime
    status: str = Field(
        description="`upheld` (a clerk's objection, or a public one a clerk upheld: the "
        "application went back to verification), `open` (from the public, awaiting a clerk's "
        "decision; holds the end of the notice) or `dismissed`."
    )
    contact_masked: str | None = Field(
        default=None, description="The phone number the public sender left, masked."
    )
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None


class ObjectionDecision(JsonInput):
    """A clerk's decision on an open objection from the public."""

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={"examples": DECISION_EXAMPLES},
    )
    decision: Literal["uphold", "dismiss"]
    reason: str = Field(min_length=1, max_length=1000)


class ApplicationPublic(SubsidiesModel):
    id: uuid.UUID
    program_id: uuid.UUID
    program_code: str
    program_version: int
    fund_id: uuid.UUID
    beneficiary_kind: str
    beneficiary_id: uuid.UUID
    month: str
    township: str
    amount_fen: int
    state: str
    manual_reason: str | None
    created_by: str
    created_at: datetime
    verified_by: str | None
    verified_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    notice_ends_at: datetime | None
    decision_reason: str | None
    updated_at: datetime
    lines: list[ApplicationLinePublic] = []  # noqa: RUF012 (a pydantic field)
    objections: list[ObjectionPublic] = []  # noqa: RUF012 (a pydantic field)


class ApplicationPage(SubsidiesModel):
    items: list[ApplicationPublic]
    next_cursor: str | None = None
    total: int = Field(description="Applications matching the filters, all pages.")


class ApplicationCreate(JsonInput):
    """A hand-made application for a confirmed month the events did not grant."""

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={"examples": APPLICATION_CREATE_EXAMPLES},
    )
    program_code: str = Field(max_length=50, schema_extra={"pattern": CODE_PATTERN})
    placement_id: uuid.UUID
    month: str = Field(schema_extra={"pattern": MONTH_PATTERN}, max_length=7)
    reason: str = Field(min_length=1, max_length=1000)


class ReasonBody(JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={"examples": REASON_EXAMPLES},
    )
    reason: str = Field(min_length=1, max_length=1000)


class NoteBody(JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={"examples": NOTE_EXAMPLES},
    )
    note: str | None = Field(default=None, max_length=1000)
    # The amount the reviewer saw: a line may join or leave a pending application meanwhile.
    expected_amount_fen: int | None = Field(default=None, ge=0, le=10**15)


class BulkIds(JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={"examples": BULK_IDS_EXAMPLES},
    )
    application_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=1000)


class BulkItemResult(SubsidiesModel):
    application_id: uuid.UUID
    ok: bool
    state: str | None = None
    status: int = 200
    detail: str | None = None


class BulkResult(SubsidiesModel):
    succeeded: int
    failed: int
    results: list[BulkItemResult]


class NoticeSweepResult(SubsidiesModel):
    moved_to_ready: int
