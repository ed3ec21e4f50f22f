"""Every query of the stores. Functions take the session first and never commit."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.products.stores.tables import Store
from shared.pagination import Keyset, keyset_page

stores_t = Store.__table__  # type: ignore[attr-defined]

STORE_ORDER = Keyset(stores_t.c.created_at, stores_t.c.id)  # the order stores were registered


async def store_by_id(session: AsyncSession, store_id: uuid.UUID) -> Store | None:
    return await session.get(Store, store_id)


async def stores_page(
    session: AsyncSession, *, limit: int, cursor: str | None, include_archived: bool
) -> tuple[list[Store], str | None]:
    query = select(Store)
    if not include_archived:
        query = query.where(stores_t.c.archived_at.is_(None))
    return await keyset_page(session, query, STORE_ORDER, limit=limit, cursor=cursor)
