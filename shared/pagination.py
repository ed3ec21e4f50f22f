"""Cursor pagination with a bounded page size.

A cursor is an opaque, URL-safe token holding the sort key of the last item served. A tampered
cursor is a 422, never a 500."""

import base64
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from shared.errors import Unprocessable

T = TypeVar("T")
MAX_PAGE_SIZE = 200

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page (1–200).")]
Cursor = Annotated[
    str | None, Query(max_length=500, description="`next_cursor` of the previous page.")
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: dict[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable("The cursor is not valid; start again from the first page.") from exc
    if not isinstance(value, dict):
        raise Unprocessable("The cursor is not valid; start again from the first page.")
    return value
