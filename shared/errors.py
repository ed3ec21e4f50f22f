"""One error hierarchy and one set of handlers: every failure leaves as RFC 9457 problem+json.

Domain code raises a subclass of :class:`AppError`; nothing else needs to know about HTTP.
Validation errors never echo the rejected input back, because that input may be personal data.
"""

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    StatementError,
)
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("errors")


class AppError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions
        self.headers: dict[str, str] = {}


class BadRequest(AppError):
    pass


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(AppError):
    status, code, title = 404, "not-found", "Not found"

    def __init__(self, kind: str, ident: object = None, *, detail: str | None = None) -> None:
        super().__init__(detail or f"No {kind} with id {ident}.", resource=kind)


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflict with the current state"


class Unprocessable(AppError):
    status, code, title = 422, "unprocessable", "The request cannot be processed"


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload-too-large", "Request body too large"


class TooManyRequests(AppError):
    status, code, title = 429, "rate-limited", "Too many requests"


class ServiceUnavailable(AppError):
    status, code, title = 503, "unavailable", "Service unavailable"


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:eastwest:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        body["request_id"] = request_id
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def validation_problem(errors: list[Any], instance: str) -> JSONResponse:
    # Drop "input" and "ctx": they can carry the rejected personal data.
    cleaned = [
        {"field": _loc(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type")}
        for e in errors
    ]
    summary = "; ".join(f"{c['field']}: {c['message']}" for c in cleaned[:5])
    return problem(
        422,
        "validation",
        "Invalid request",
        summary or "Invalid request.",
        instance,
        errors=cleaned,
    )


def _unavailable(request: Request) -> JSONResponse:
    return problem(
        503,
        "unavailable",
        "Service unavailable",
        "The service's database is unavailable; nothing was saved. Retry later.",
        request.url.path,
        headers={"Retry-After": "5"},
    )


def classify_database_error(exc: DBAPIError) -> str:
    """'data', 'conflict', 'unavailable' or 'other', from the exception class and SQLSTATE
    (asyncpg errors often arrive as a bare DBAPIError carrying only the SQLSTATE)."""
    orig = exc.orig
    state = str(
        getattr(orig, "sqlstate", None)
        or getattr(orig, "pgcode", None)
        or getattr(getattr(orig, "__cause__", None), "sqlstate", None)
        or ""
    )
    if isinstance(exc, DataError) or state.startswith("22"):
        return "data"
    if isinstance(exc, IntegrityError) or state.startswith("23"):
        return "conflict"
    if (
        isinstance(exc, OperationalError | InterfaceError)
        or exc.connection_invalidated
        or state.startswith(("08", "53", "57P"))
    ):
        return "unavailable"
    return "other"


async def _app_error(request: Request, exc: AppError) -> JSONResponse:
    return problem(
        exc.status,
        exc.code,
        exc.title,
        exc.detail,
        request.url.path,
        headers=exc.headers or None,
        **exc.extensions,
    )


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    return validation_problem(list(exc.errors()), request.url.path)


_HTTP_TITLES = {
    404: "Not found",
    405: "Method not allowed",
    401: "Authentication required",
    403: "Not allowed",
    413: "Request body too large",
}


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is no endpoint at {request.url.path}."
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
    return problem(
        exc.status_code,
        f"http-{exc.status_code}",
        _HTTP_TITLES.get(exc.status_code, "Request failed"),
        detail,
        request.url.path,
        headers=dict(exc.headers) if exc.headers else None,
    )


def _internal(request: Request, what: str = "error") -> JSONResponse:
    return problem(
        500,
        "internal",
        "Internal error",
        f"An unexpected {what} occurred; it has been logged.",
        request.url.path,
    )


async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
    kind = classify_database_error(exc)
    log.info("database_error", kind=kind, error=type(exc.orig).__name__ if exc.orig else "")
    if kind == "data":  # e.g. a NUL byte in text, or a number outside the column's range
        return problem(
            422,
            "unstorable-value",
            "Value cannot be stored",
            "A value in the request cannot be stored (text with NUL bytes, or a "
            "number out of range). Correct it and retry.",
            request.url.path,
        )
    if kind == "conflict":
        return problem(
            409,
            "conflict",
            "Conflict with existing data",
            "The request conflicts with data that already exists.",
            request.url.path,
        )
    if kind == "unavailable":
        return _unavailable(request)
    log.exception("database_failure")
    return _internal(request, "database error")


async def _unbindable(request: Request, exc: StatementError) -> JSONResponse:
    # A value a column cannot take (e.g. a timestamp without a time zone in a tampered
    # cursor) fails while binding, before the database sees it.
    if isinstance(exc.orig, ValueError | TypeError | OverflowError):
        return problem(
            422,
            "unusable-value",
            "Value cannot be used",
            "A value in the request cannot be used here (for example a page "
            "cursor from elsewhere); correct it or start again.",
            request.url.path,
        )
    log.exception("statement_failure")
    return _internal(request)


async def _dependency_down(request: Request, exc: Exception) -> JSONResponse:
    log.warning("dependency_unavailable", error=type(exc).__name__)
    return _unavailable(request)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled_error")
    return _internal(request)


# Starlette picks the handler of the most specific class in the exception's MRO, so a
# DBAPIError (a StatementError) is answered by _database, and the order here does not matter.
HANDLERS: tuple[tuple[type[Exception], Callable[..., Awaitable[JSONResponse]]], ...] = (
    (AppError, _app_error),
    (RequestValidationError, _validation),
    (StarletteHTTPException, _http),
    (DBAPIError, _database),
    (StatementError, _unbindable),
    (SQLAlchemyTimeoutError, _dependency_down),
    (OSError, _dependency_down),
    (Exception, _unexpected),
)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every failure of ``app`` as problem+json (:data:`HANDLERS`)."""
    for exc_class, handler in HANDLERS:
        app.add_exception_handler(exc_class, handler)
