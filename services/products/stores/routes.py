"""HTTP routes of the stores (staff) and of the calling store itself (``/stores/me``)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from services.products.dependencies import CallingStore, CatalogueEditor, StaffCaller
from services.products.errors import StoreNotFound
from services.products.stores import service
from services.products.stores.schemas import StoreCreate, StorePublic, StoreUpdate
from services.products.stores.tables import Store
from shared.db import SessionDep
from shared.loader import loader
from shared.openapi import responses
from shared.pagination import Cursor, Limit, Page
from shared.runtime import Now

router = APIRouter(prefix="/v1/products")


StoreDep = Annotated[Store, Depends(loader(service.find_store, StoreNotFound, param="store_id"))]


@router.post(
    "/stores",
    status_code=201,
    response_model=StorePublic,
    tags=["stores"],
    operation_id="createStore",
    summary="Register a flagship store",
    responses=responses(401, 403, 422),
)
async def create_store(body: StoreCreate, _: CatalogueEditor, session: SessionDep) -> Store:
    """Register a flagship store or exhibition-and-sales centre in Haizhu. Its id is what the
    store's API key is bound to."""
    return await service.create_store(session, body)


@router.get(
    "/stores",
    response_model=Page[StorePublic],
    tags=["stores"],
    operation_id="listStores",
    summary="List stores",
    responses=responses(401, 403, 422),
)
async def list_stores(
    _: StaffCaller,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    include_archived: bool = False,
) -> Page[Any]:
    items, next_cursor = await service.list_stores(
        session, limit=limit, cursor=cursor, include_archived=include_archived
    )
    return Page(items=items, next_cursor=next_cursor)


# Before /stores/{store_id}, which would read "me" as an id.
@router.get(
    "/stores/me",
    response_model=StorePublic,
    tags=["store sales"],
    operation_id="getOwnStore",
    summary="The calling store",
    responses=responses(401, 403),
)
async def get_own_store(store: CallingStore) -> Store:
    return store


@router.get(
    "/stores/{store_id}",
    response_model=StorePublic,
    tags=["stores"],
    operation_id="getStore",
    summary="Get a store",
    responses=responses(401, 403, 404, 422),
)
async def get_store(_: StaffCaller, store: StoreDep) -> Store:
    return store


@router.patch(
    "/stores/{store_id}",
    response_model=StorePublic,
    tags=["stores"],
    operation_id="updateStore",
    summary="Change a store",
    responses=responses(401, 403, 404, 422),
)
async def update_store(
    body: StoreUpdate, _: CatalogueEditor, store: StoreDep, session: SessionDep
) -> Store:
    return await service.update_store(session, store, body)


@router.post(
    "/stores/{store_id}/archive",
    response_model=StorePublic,
    tags=["stores"],
    operation_id="archiveStore",
    summary="Archive a store",
    responses=responses(401, 403, 404, 422),
)
async def archive_store(
    _: CatalogueEditor, store: StoreDep, session: SessionDep, now: Now
) -> Store:
    """An archived store can no longer report sales or close days; its history stays."""
    return await service.archive_store(session, store, now=now)
