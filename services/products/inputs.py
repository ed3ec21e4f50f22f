"""What the products service accepts: its limits, the base classes of its request bodies and the
date parameter of its paths and queries."""

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator, model_validator
from sqlmodel import SQLModel

from shared.errors import Unprocessable
from shared.validation import as_written

MAX_QUANTITY = 100_000
MAX_UNIT_PRICE_FEN = 1_000_000_000
MAX_LINES_PER_SALE = 200
MAX_NET_WEIGHT_GRAMS = 1_000_000  # one tonne per unit is more than any product here weighs
MAX_POOR_HOUSEHOLDS = 1_000_000


def _iso_date_only(value: Any) -> Any:
    # Pydantic reads a bare number as seconds since 1970 ("86400" is 1970-01-02); a day given
    # as a number is a mistake, not a date, so only the YYYY-MM-DD form is let through.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("give the date as YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_date_only)]
"""A business day in a path or query: YYYY-MM-DD only."""


def _strip(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    # PostgreSQL text cannot hold NUL; refuse it here as a 422 rather than at the database.
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value.strip()


class CatalogueInput(SQLModel):
    """A catalogue or store body: unknown fields refused, text stripped."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, data: Any) -> Any:
        return as_written(cls, data)

    @field_validator("*", mode="before")
    @classmethod
    def _strip_strings(cls, value: Any) -> Any:
        return _strip(value)


class SaleInput(BaseModel):
    """A sale or correction body: unknown fields refused, numbers only as JSON integers."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, data: Any) -> Any:
        return as_written(cls, data)


def apply_changes(obj: Any, changes: BaseModel) -> None:
    """Set the fields a PATCH body sent; null is refused except where a field may be empty."""
    for key, value in changes.model_dump(exclude_unset=True).items():
        if value is None and key != "certification_number":
            raise Unprocessable(f"{key} cannot be null; leave it out to keep the current value.")
        setattr(obj, key, value)
