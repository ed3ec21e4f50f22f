"""API models of placements and monthly confirmations. Examples are in ``examples.py``."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import ConfigDict, StringConstraints, field_validator, model_validator
from sqlmodel import Field

from services.jobs.base import MAX_SALARY_FEN, Input, JobsModel, in_range
from services.jobs.employers.schemas import EmployerKind
from services.jobs.placements import examples

EndReason = Literal["resigned", "dismissed", "contract_ended", "employer_closed", "other"]
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN)]


class PlacementCreate(Input):
    """A partner names its own open ``posting_id``; labour-bureau staff name the ``employer_id``
    of a workshop or dedicated-post unit. The other field must be absent."""

    worker_id: uuid.UUID
    posting_id: uuid.UUID | None = None
    employer_id: uuid.UUID | None = None
    start_date: date
    monthly_wage_fen: int = Field(ge=1, le=MAX_SALARY_FEN)
    note: str = Field(default="", max_length=1000)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": examples.PLACEMENT_CREATE},
    )

    @field_validator("start_date")
    @classmethod
    def _start(cls, value: date) -> date:
        in_range(value, "start_date")
        return value


class ConfirmationPublic(JobsModel):
    id: uuid.UUID
    placement_id: uuid.UUID
    month: str
    wage_paid_fen: int
    supersedes: uuid.UUID | None
    superseded: bool = Field(description="A later correction replaced this record.")
    note: str
    created_at: datetime

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={"examples": examples.CONFIRMATION_PUBLIC}
    )


class PlacementPublic(JobsModel):
    id: uuid.UUID
    worker_id: uuid.UUID
    worker_name: str = Field(
        default="",
        description="The worker's name, as the employer who hired them knows it (never the ID "
        "number or phone).",
    )
    employer_id: uuid.UUID
    employer_kind: EmployerKind
    posting_id: uuid.UUID | None
    township: str
    poor_household: bool
    start_date: date
    monthly_wage_fen: int
    status: Literal["active", "ended"]
    end_date: date | None
    end_reason: EndReason | None
    note: str
    created_at: datetime
    confirmed_months: list[str] = Field(
        default_factory=list, description="Months with a current confirmation, in order."
    )
    next_month_to_confirm: str | None = Field(
        default=None, description="The month the next confirmation must be for."
    )

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={"examples": examples.PLACEMENT_PUBLIC}
    )


class PlacementEnd(Input):
    end_date: date
    reason: EndReason
    note: str = Field(default="", max_length=1000)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": examples.PLACEMENT_END},
    )

    @field_validator("end_date")
    @classmethod
    def _end(cls, value: date) -> date:
        in_range(value, "end_date")
        return value


class ConfirmationCreate(Input):
    """Confirm one month of employment. To correct a month already confirmed, send the same
    ``month`` with ``corrects`` set to the id of the record being replaced. A correction may
    set ``wage_paid_fen`` to 0 when the month turns out not to have been worked or paid (found
    later by an inspection); the month then no longer counts as employed."""

    month: Month
    wage_paid_fen: int = Field(
        ge=0,
        le=MAX_SALARY_FEN,
        description="Wage paid for the month; positive, or 0 on a correction only.",
    )
    corrects: uuid.UUID | None = None
    note: str = Field(default="", max_length=1000)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": examples.CONFIRMATION_CREATE},
    )

    @model_validator(mode="after")
    def _zero_only_on_correction(self) -> Self:
        if self.wage_paid_fen == 0 and self.corrects is None:
            raise ValueError(
                "wage_paid_fen must be positive; 0 is allowed only on a correction "
                "(with corrects naming the record of a month that was not worked or paid)"
            )
        return self


class ConfirmationLine(ConfirmationCreate):
    """One line of a batch: a monthly confirmation (or correction) of ``placement_id``."""

    placement_id: uuid.UUID


class ConfirmationBatch(Input):
    """Many monthly confirmations at once (a month's payroll), applied in the order given: a
    placement's months may follow each other in one batch."""

    confirmations: list[ConfirmationLine] = Field(min_length=1)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": examples.CONFIRMATION_BATCH},
    )


class ConfirmationBatchResult(JobsModel):
    confirmed: int = Field(description="How many records the batch made (every line).")
    items: list[ConfirmationPublic] = Field(description="The records made, in the lines' order.")

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={"examples": examples.CONFIRMATION_BATCH_RESULT}
    )
