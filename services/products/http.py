"""What the routes of every feature share: the problem responses they declare in OpenAPI and the
date parameter."""

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator

from shared.errors import PROBLEM_JSON


def _iso_date_only(value: Any) -> Any:
    # Pydantic reads a bare number as seconds since 1970 ("86400" is 1970-01-02); a day given
    # as a number is a mistake, not a date, so only the YYYY-MM-DD form is let through.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("give the date as YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_date_only)]


def problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {}}}


AUTH: dict[int | str, dict[str, Any]] = {
    401: problem("No valid identity from the gateway"),
    403: problem("The caller's role may not do this"),
}
INVALID: dict[int | str, dict[str, Any]] = {
    422: problem("Invalid request: the detail names the field and the rule")
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem("No such resource")}
IDEMPOTENT: dict[int | str, dict[str, Any]] = {
    409: problem(
        "A request with this Idempotency-Key is still in flight, or the "
        "write conflicts with recorded data"
    ),
    422: problem("Invalid request, or the Idempotency-Key was used with another body"),
}
