"""Schemas of the subsidies service's funds feature."""

import uuid
from datetime import datetime

from pydantic import ConfigDict
from sqlmodel import Field

from services.subsidies.base import MAX_FEN, JsonInput
from services.subsidies.funds.tables import FundBase


class FundCreate(FundBase, JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "guangzhou-aid-2020",
                    "name": "Guangzhou aid funds 2020 (广州帮扶资金)",
                    "budget_fen": 9_000_000_000,
                }
            ]
        },
    )


class FundUpdate(JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid", json_schema_extra={"examples": [{"budget_fen": 9_500_000_000}]}
    )
    name: str | None = Field(default=None, min_length=1, max_length=200)
    budget_fen: int | None = Field(default=None, ge=0, le=MAX_FEN)


class FundPublic(FundBase):
    id: uuid.UUID
    reserved_fen: int
    paid_fen: int
    available_fen: int
    created_at: datetime
