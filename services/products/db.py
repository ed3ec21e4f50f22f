"""The products service's own metadata and the query helpers its features share."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from shared.db import is_postgres, new_registry
from shared.errors import Unprocessable
from shared.events import add_event_tables
from shared.pagination import decode_cursor, encode_cursor

BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class ProductsModel(SQLModel, registry=new_registry()):
    pass


metadata = ProductsModel.metadata
event_tables = add_event_tables(metadata)


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """``INSERT`` with ``ON CONFLICT`` support for the session's database."""
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def cursor_after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The (time, id) a page cursor points after; a cursor that is not ours is a 422."""
    after = decode_cursor(cursor)
    if after is None:
        return None
    try:
        return datetime.fromisoformat(after["t"]), uuid.UUID(after["id"])
    except (KeyError, TypeError, ValueError):
        raise Unprocessable("The cursor is not valid; start again from the first page.") from None


def next_cursor_of(rows: list[Any], limit: int, time_of: str) -> tuple[list[Any], str | None]:
    """Cut a page read with ``limit + 1`` rows; the cursor points after its last row."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor({"t": getattr(last, time_of).isoformat(), "id": str(last.id)})


async def page_by_creation(
    session: AsyncSession,
    model: Any,
    *,
    limit: int,
    cursor: str | None,
    include_archived: bool,
    filters: Sequence[Any] = (),
) -> tuple[list[Any], str | None]:
    """A keyset page of a catalogue or store table, in the order rows were created."""
    table = model.__table__
    query = select(model).where(*filters)
    if not include_archived:
        query = query.where(table.c.archived_at.is_(None))
    after = cursor_after(cursor)
    if after is not None:
        at, ident = after
        query = query.where(
            or_(table.c.created_at > at, and_(table.c.created_at == at, table.c.id > ident))
        )
    query = query.order_by(table.c.created_at, table.c.id).limit(limit + 1)
    rows = list((await session.scalars(query)).all())
    return next_cursor_of(rows, limit, "created_at")


async def archive(session: AsyncSession, obj: Any, *, now: datetime) -> Any:
    """Archive a supplier, product or store: history keeps referring to it; nothing is deleted.
    Archiving twice keeps the first time."""
    if obj.archived_at is None:
        obj.archived_at = now
        await session.flush()
    return obj
