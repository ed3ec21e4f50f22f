"""Every query of the stores. Functions take the session first and never commit."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.products.db import page_by_creation
from services.products.stores.tables import Store


async def store_by_id(session: AsyncSession, store_id: uuid.UUID) -> Store | None:
    return await session.get(Store, store_id)


async def stores_page(
    session: AsyncSession, *, limit: int, cursor: str | None, include_archived: bool
) -> tuple[list[Store], str | None]:
    return await page_by_creation(
        session, Store, limit=limit, cursor=cursor, include_archived=include_archived
    )
