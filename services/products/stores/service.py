"""Use cases of the stores. Never commits. A store's id is what its API key is bound to."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.products.db import archive
from services.products.errors import NotAStore, StoreArchived, StoreNotFound
from services.products.inputs import apply_changes
from services.products.stores import repository as repo
from services.products.stores.schemas import StoreCreate, StoreUpdate
from services.products.stores.tables import Store


async def find_store(session: AsyncSession, store_id: uuid.UUID) -> Store | None:
    return await repo.store_by_id(session, store_id)


async def get_store(session: AsyncSession, store_id: uuid.UUID) -> Store:
    store = await repo.store_by_id(session, store_id)
    if store is None:
        raise StoreNotFound(store_id)
    return store


async def calling_store(session: AsyncSession, store_id: uuid.UUID) -> Store:
    """The store a credential is bound to; a credential bound to no store is refused (403)."""
    store = await repo.store_by_id(session, store_id)
    if store is None:
        raise NotAStore()
    return store


def ensure_active(store: Store) -> None:
    """An archived store can no longer report sales or close days."""
    if store.archived_at is not None:
        raise StoreArchived()


async def list_stores(
    session: AsyncSession, *, limit: int, cursor: str | None, include_archived: bool
) -> tuple[list[Store], str | None]:
    return await repo.stores_page(
        session, limit=limit, cursor=cursor, include_archived=include_archived
    )


async def create_store(session: AsyncSession, body: StoreCreate) -> Store:
    store = Store.model_validate(body)
    session.add(store)
    await session.flush()
    return store


async def update_store(session: AsyncSession, store: Store, body: StoreUpdate) -> Store:
    apply_changes(store, body)
    await session.flush()
    return store


async def archive_store(session: AsyncSession, store: Store, *, now: datetime) -> Store:
    """An archived store keeps its history; archiving twice keeps the first time."""
    return await archive(session, store, now=now)
