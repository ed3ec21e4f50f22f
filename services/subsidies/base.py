"""The service's SQLModel base (its own metadata) and what every feature's models share."""

from typing import Any

from pydantic import model_validator
from sqlmodel import SQLModel

from shared.db import new_registry
from shared.events import add_event_tables
from shared.validation import as_written


class SubsidiesModel(SQLModel, registry=new_registry()):
    pass


metadata = SubsidiesModel.metadata


event_tables = add_event_tables(metadata)


class JsonInput(SubsidiesModel):
    """A request body as JSON gives it: Pydantic would read true/false as 1/0 ("budget_fen":
    false emptied a fund) and a number as seconds since 1970 ("valid_from": 0 is 1970-01-01)."""

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, data: Any) -> Any:
        return as_written(cls, data)


MAX_FEN = 10**13  # 100 billion yuan: bounds every amount so huge numbers are a 422


MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,49}$"


def public_dict(obj: Any, **extra: Any) -> dict[str, Any]:
    return obj.model_dump() | extra
