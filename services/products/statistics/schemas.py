"""API models of the statistics."""

import uuid
from datetime import date
from typing import Literal

from sqlmodel import Field, SQLModel


class StatsRow(SQLModel):
    store_id: uuid.UUID | None = None
    store_name: str | None = None
    product_id: uuid.UUID | None = None
    sku: str | None = None
    product_name: str | None = None
    category: str | None = None
    supplier_id: uuid.UUID | None = None
    supplier_name: str | None = None
    township: str | None = None
    month: str | None = None
    quantity: int
    grams: int
    tonnes: str
    fen: int
    yuan: str


class StatsResult(SQLModel):
    date_from: date | None
    date_to: date | None
    group_by: list[str]
    source: Literal["monthly", "daily"] = Field(
        description="Which rollup answered: whole months use the monthly one."
    )
    rows: list[StatsRow]
    total: StatsRow
