"""The products service's own metadata and the write helpers its features share."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from shared.db import is_postgres, new_registry
from shared.events import add_event_tables

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


async def archive(session: AsyncSession, obj: Any, *, now: datetime) -> Any:
    """Archive a supplier, product or store: history keeps referring to it; nothing is deleted.
    Archiving twice keeps the first time."""
    if obj.archived_at is None:
        obj.archived_at = now
        await session.flush()
    return obj
