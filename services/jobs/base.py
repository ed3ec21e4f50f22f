"""What every feature's tables and API models share: the service's own SQLModel registry and
metadata, the base of request bodies, and common field and query-parameter types.

Families: ``XBase`` (fields shared by the table and the API) → ``XCreate`` / ``XUpdate`` (input,
unknown fields forbidden) / ``X`` (the table) / ``XPublic`` (what a response shows). Enumerated
values are plain strings in the tables (no database enum types) and ``Literal`` in the inputs.
"""

from datetime import date
from typing import Annotated, Any

from pydantic import ConfigDict, StringConstraints, model_validator
from sqlalchemy import Column, ForeignKey, Uuid
from sqlmodel import SQLModel

from shared.db import new_registry
from shared.events import add_event_tables
from shared.validation import as_written


class JobsModel(SQLModel, registry=new_registry()):
    pass


metadata = JobsModel.metadata
event_tables = add_event_tables(metadata)

MAX_SALARY_FEN = 100_000_000  # 1,000,000 yuan a month: anything above is a typing error
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL: refuse it in a query parameter as a 422
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def in_range(value: date | None, what: str) -> date | None:
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"{what} must be between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


def uuid_column(fk: str | None = None, *, nullable: bool = False, index: bool = True) -> Any:
    args: list[Any] = [Uuid()]
    if fk:
        args.append(ForeignKey(fk))
    return Column(*args, nullable=nullable, index=index)


class Input(JobsModel):
    """Every request body forbids unknown fields (mass assignment → 422)."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, data: Any) -> Any:
        return as_written(cls, data)
