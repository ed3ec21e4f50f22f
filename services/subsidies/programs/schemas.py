"""Schemas of the subsidies service's programs feature."""

import re
import uuid
from datetime import datetime
from typing import Self

from pydantic import ConfigDict, field_validator, model_validator
from sqlmodel import Field

from services.subsidies.base import CODE_PATTERN, JsonInput, SubsidiesModel
from services.subsidies.programs.examples import (
    PROGRAM_EXAMPLE,
    PROGRAM_REVISE_EXAMPLE,
    REEVALUATE_EXAMPLES,
)
from services.subsidies.programs.tables import ProgramRules


class _ProgramInput(ProgramRules, JsonInput):
    not_stackable_with: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("not_stackable_with")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not re.match(CODE_PATTERN, code):
                raise ValueError(f"'{code[:60]}' is not a program code")
        return sorted(set(value))

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self


class ProgramCreate(_ProgramInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid", json_schema_extra={"examples": [PROGRAM_EXAMPLE]}
    )
    code: str = Field(max_length=50, schema_extra={"pattern": CODE_PATTERN})


class ProgramRevise(_ProgramInput):
    """A full new version of the program's rules; applications keep the version they used."""

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={"examples": [PROGRAM_REVISE_EXAMPLE]},
    )
    reason: str = Field(min_length=1, max_length=500)


class ReevaluateRequest(JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid", json_schema_extra={"examples": REEVALUATE_EXAMPLES}
    )
    dry_run: bool = Field(
        default=True,
        description="true (the default): only say what would be granted; false: grant it.",
    )


class ReevaluatedGrant(SubsidiesModel):
    placement_id: uuid.UUID
    worker_id: uuid.UUID
    month: str
    amount_fen: int
    beneficiary_kind: str
    beneficiary_id: uuid.UUID
    application_id: uuid.UUID | None = Field(
        default=None, description="The application the grant joined or opened (not in a dry run)."
    )


class ReevaluationRefusal(SubsidiesModel):
    placement_id: uuid.UUID
    month: str
    reason: str


class ReevaluationResult(SubsidiesModel):
    program_code: str
    program_version: int
    dry_run: bool
    placements_evaluated: int
    grant_count: int
    total_fen: int
    grants: list[ReevaluatedGrant]
    refused: list[ReevaluationRefusal] = Field(
        description="Months the rule is met for but a stacking, double-post or cap rule refuses."
    )


class ProgramPublic(ProgramRules):
    id: uuid.UUID
    code: str
    version: int
    is_current: bool
    created_by: str
    created_at: datetime
