"""API models of the business days."""

import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel


class DayPublic(SQLModel):
    store_id: uuid.UUID
    business_date: date
    closed: bool
    closed_at: datetime | None
    closed_totals: dict[str, int] | None = Field(
        default=None, description="Totals computed when the day was closed."
    )
    current_totals: dict[str, int] = Field(
        description="Totals now, including corrections made after the close."
    )
