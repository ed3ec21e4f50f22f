from datetime import date

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from shared.validation import as_written


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    openings: int
    housing: bool = False
    starts_on: date | None = None
    title: str = ""

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, data):
        return as_written(cls, data)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"openings": True}, "openings"),
        ({"openings": 1, "housing": 1}, "housing"),
        ({"openings": 1, "housing": "yes"}, "housing"),
        ({"openings": 1, "starts_on": 0}, "starts_on"),
        ({"openings": 1, "title": "a\x00b"}, "NUL"),
    ],
)
def test_lax_conversions_are_refused_naming_the_field(body, field):
    with pytest.raises(ValidationError, match=field):
        Body.model_validate(body)


def test_values_as_json_writes_them_pass():
    body = Body.model_validate({"openings": 3, "housing": True, "starts_on": "2026-03-01"})
    assert (body.openings, body.housing, body.starts_on) == (3, True, date(2026, 3, 1))
