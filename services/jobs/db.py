"""Plumbing every feature's repository and service share: newest-first keyset pages, LIKE
patterns, period conditions, the outbox and unique-constraint conflicts."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import Unprocessable
from shared.pagination import decode_cursor, encode_cursor

BAD_CURSOR = "The cursor is not valid for this list; start again from the first page."


def like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def page_by_created(
    session: AsyncSession, query: Any, entity: Any, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """Newest first, keyset on (created_at, id). Rows are returned as the query selects them;
    ``entity`` must be the first selected element."""
    after = decode_cursor(cursor)
    if after is not None:
        try:
            created = datetime.fromisoformat(after["t"])
            last_id = uuid.UUID(after["id"])
        except (KeyError, TypeError, ValueError):
            raise Unprocessable(BAD_CURSOR) from None
        query = query.where(
            or_(
                entity.created_at < created,
                and_(entity.created_at == created, entity.id < last_id),
            )
        )
    query = query.order_by(entity.created_at.desc(), entity.id.desc()).limit(limit + 1)
    rows = list((await session.execute(query)).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        next_cursor = encode_cursor({"t": last.created_at.isoformat(), "id": str(last.id)})
    return rows, next_cursor


def between(column: Any, start: Any, end: Any) -> list[Any]:
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column <= end)
    return conditions


async def add_or_conflict(session: AsyncSession, obj: Any, conflict: Exception) -> None:
    """Add and flush inside a savepoint: a unique constraint hit (a concurrent twin of this
    request) becomes the given domain error instead of a generic 409. The object is added inside
    the savepoint so that its rollback also forgets the object."""
    try:
        async with session.begin_nested():
            session.add(obj)
            await session.flush()
    except IntegrityError:
        raise conflict from None
