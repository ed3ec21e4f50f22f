"""Keyset pagination of the list endpoints: the cursor in and out."""

import uuid
from datetime import datetime
from typing import Any

from shared.errors import Unprocessable
from shared.pagination import decode_cursor, encode_cursor


def cursor_after(cursor: str | None) -> tuple[datetime, str] | None:
    value = decode_cursor(cursor)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value["c"]), str(uuid.UUID(value["i"]))
    except (KeyError, TypeError, ValueError):
        raise Unprocessable("The cursor is not valid; start again from the first page.") from None


def next_cursor(items: list[Any], limit: int) -> str | None:
    if len(items) < limit:
        return None
    last = items[-1]
    return encode_cursor({"c": last.created_at.isoformat(), "i": str(last.id)})
