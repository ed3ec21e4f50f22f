"""Schemas of the subsidies service's funds feature."""

import uuid
from datetime import datetime

from pydantic import ConfigDict
from sqlmodel import Field

from services.subsidies.base import MAX_FEN, JsonInput
from services.subsidies.funds.examples import FUND_CREATE_EXAMPLES, FUND_UPDATE_EXAMPLES
from services.subsidies.funds.tables import FundBase


class FundCreate(FundBase, JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={"examples": FUND_CREATE_EXAMPLES},
    )


class FundUpdate(JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid", json_schema_extra={"examples": FUND_UPDATE_EXAMPLES}
    )
    name: str | None = Field(default=None, min_length=1, max_length=200)
    budget_fen: int | None = Field(default=None, ge=0, le=MAX_FEN)


class FundPublic(FundBase):
    id: uuid.UUID
    reserved_fen: int
    paid_fen: int
    available_fen: int
    created_at: datetime
