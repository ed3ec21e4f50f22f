"""API models of the statistics."""

import uuid
from datetime import date
from typing import Literal

from sqlmodel import Field, SQLModel

Source = Literal["monthly", "daily", "monthly_and_daily"]
"""Which rollups answered a period (see ``repository.periods``)."""


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
    source: Source = Field(
        description="Which rollups answered: whole months use the monthly one, the partial "
        "months at the ends of a period the daily one."
    )
    rows: list[StatsRow]
    total: StatsRow


class StoreCounts(SQLModel):
    """Flagship stores and exhibition-and-sales centres open during the period, whether or not
    they sold (PROGRAM.md: "7 flagship stores / exhibition-and-sales centres")."""

    total: int = Field(
        description="Stores created by the end of the period and not archived before its start."
    )
    flagship_store: int
    exhibition_centre: int
    selling: int = Field(description="Of them, stores with sales (net of voids) in the period.")


class SalesStatistics(StatsResult):
    """The bureau's statistics: the sums, and the stores counted whether or not they sold."""

    stores: StoreCounts = Field(
        description="Stores open during the period (`store_id` narrows it to that store; "
        "the product filters do not apply: a store counts whatever it sold)."
    )
