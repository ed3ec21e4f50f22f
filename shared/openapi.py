"""Problem responses in OpenAPI, declared the same way by every route: ``responses(401, 403)``.

Each code has one description; a route may say more for a code it answers for its own reason
(``responses(409, 422, descriptions={409: "The business day is closed"})``)."""

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from shared.errors import PROBLEM_JSON


class Problem(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None


DESCRIPTIONS = {
    400: "The request cannot be read (a malformed body or file).",
    401: "No credential: call through the gateway with an API key or a login token.",
    403: "The caller's role or organisation may not do this.",
    404: "No such resource.",
    409: "Conflicts with the current state (a duplicate, a wrong status, or a request with "
    "this Idempotency-Key still in flight).",
    413: "The body is larger than this endpoint accepts.",
    422: "Invalid input or a broken rule; the detail names the field and the rule.",
    429: "Too many requests from this caller: retry after the seconds given in Retry-After.",
}

PROBLEM_REF = "#/components/schemas/Problem"
_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}


def responses(
    *codes: int, descriptions: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The problem documents a route answers with, for its decorator's ``responses``."""
    said = {**DESCRIPTIONS, **(descriptions or {})}
    return {code: {"description": said[code], "content": _CONTENT} for code in codes}


def document_problems(app: FastAPI) -> None:
    """Put the one ``Problem`` schema the problem responses refer to into the app's OpenAPI
    components (no route returns it as a model, so FastAPI would not list it), and 400 on every
    operation that reads a body: a body that cannot be read at all (not UTF-8, a broken
    multipart) is answered 400 by the framework before any route runs."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas["Problem"] = Problem.model_json_schema()
            for item in schema.get("paths", {}).values():
                for operation in item.values():
                    if isinstance(operation, dict) and "requestBody" in operation:
                        answers = operation.setdefault("responses", {})
                        answers.setdefault("400", responses(400)[400])
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]
