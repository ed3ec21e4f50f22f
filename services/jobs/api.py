"""What every feature's routes share: problem documents in OpenAPI, the NUL-free text pattern."""

from typing import Any

from pydantic import BaseModel

from shared.errors import PROBLEM_JSON

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL: refuse it as a 422


class Problem(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None


_DESCRIPTIONS = {
    401: "No credential: call through the gateway.",
    403: "The caller's role or organisation may not do this.",
    404: "No such resource.",
    409: "Conflicts with the current state (duplicate, wrong status).",
    422: "Invalid input or a broken rule; the detail says which.",
}


_PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": Problem.model_json_schema()}}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {
        code: {"description": _DESCRIPTIONS[code], "content": _PROBLEM_CONTENT} for code in codes
    }


READ_ERRORS = errors(401, 403, 404, 422)
WRITE_ERRORS = errors(401, 403, 404, 409, 422)
