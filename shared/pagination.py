"""Cursor pagination with a bounded page size.

A cursor is an opaque, URL-safe token holding the sort key of the last item served. A tampered
cursor is a 422, never a 500. Lists are read with :func:`keyset_page` in a :class:`Keyset`
order."""

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import Unprocessable

T = TypeVar("T")
BAD_CURSOR = "The cursor is not valid for this list; start again from the first page."
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
        raise Unprocessable(BAD_CURSOR) from exc
    if not isinstance(value, dict):
        raise Unprocessable(BAD_CURSOR)
    return value


@dataclass(frozen=True)
class Keyset:
    """The order of a list: a time column, then the row's id to break ties. Every list of the
    platform pages this way, with one cursor format (``{"t": time, "id": id}``)."""

    time: Any
    ident: Any
    newest_first: bool = False
    parse_id: Callable[[str], Any] = uuid.UUID

    def after(self, cursor: str | None) -> Any | None:
        """The condition selecting the rows after the cursor, or None on the first page."""
        value = decode_cursor(cursor)
        if value is None:
            return None
        try:
            at, ident = datetime.fromisoformat(value["t"]), self.parse_id(value["id"])
        except (KeyError, TypeError, ValueError):
            raise Unprocessable(BAD_CURSOR) from None
        if self.newest_first:
            return or_(self.time < at, and_(self.time == at, self.ident < ident))
        return or_(self.time > at, and_(self.time == at, self.ident > ident))

    def order_by(self) -> tuple[Any, Any]:
        if self.newest_first:
            return self.time.desc(), self.ident.desc()
        return self.time.asc(), self.ident.asc()

    def cursor_after(self, item: Any) -> str:
        at, ident = getattr(item, self.time.key), getattr(item, self.ident.key)
        return encode_cursor({"t": at.isoformat(), "id": str(ident)})


async def keyset_page(
    session: AsyncSession,
    query: Any,
    order: Keyset,
    *,
    limit: int,
    cursor: str | None,
    rows: bool = False,
) -> tuple[list[Any], str | None]:
    """One page of ``query`` in ``order``: ``limit + 1`` rows are read, so a next cursor is given
    only when another row exists (a full last page is not followed by an empty one). With
    ``rows`` the selected rows are returned whole (their first element is the entity whose
    columns the order uses); otherwise the first column of each."""
    condition = order.after(cursor)
    if condition is not None:
        query = query.where(condition)
    query = query.order_by(*order.order_by()).limit(limit + 1)
    result = await session.execute(query)
    items = list(result.all() if rows else result.scalars().all())
    if len(items) <= limit:
        return items, None
    items = items[:limit]
    last = items[-1][0] if rows else items[-1]
    return items, order.cursor_after(last)
