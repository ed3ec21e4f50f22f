"""Load-by-id dependencies of the products service: each raises NotFound once for all routes."""

import uuid
from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy.ext.asyncio import AsyncSession

from services.products import repository as repo
from services.products.errors import (
    NotAStore,
    ProductNotFound,
    SaleNotFound,
    StoreNotFound,
    SupplierNotFound,
)
from services.products.models import Product, Sale, Store, Supplier
from shared.db import SessionDep
from shared.identity import STAFF_ROLES, Identity, require_roles

StoreCaller = Annotated[Identity, Depends(require_roles("store"))]
StaffCaller = Annotated[Identity, Depends(require_roles(*STAFF_ROLES))]
CatalogueEditor = Annotated[
    Identity, Depends(require_roles("admin", "bureau_clerk", "bureau_approver"))
]


async def supplier_by_id(
    supplier_id: Annotated[uuid.UUID, Path()], session: SessionDep
) -> Supplier:
    supplier = await session.get(Supplier, supplier_id)
    if supplier is None:
        raise SupplierNotFound(supplier_id)
    return supplier


async def product_by_id(product_id: Annotated[uuid.UUID, Path()], session: SessionDep) -> Product:
    product = await session.get(Product, product_id)
    if product is None:
        raise ProductNotFound(product_id)
    return product


async def store_by_id(store_id: Annotated[uuid.UUID, Path()], session: SessionDep) -> Store:
    store = await session.get(Store, store_id)
    if store is None:
        raise StoreNotFound(store_id)
    return store


def store_id_of(identity: Identity) -> uuid.UUID:
    """The store a credential is bound to: its subject, never a value from the path or body."""
    try:
        return uuid.UUID(identity.subject_id or "")
    except ValueError:
        raise NotAStore() from None


async def load_store(session: AsyncSession, store_id: uuid.UUID) -> Store:
    store = await session.get(Store, store_id)
    if store is None:
        raise NotAStore()
    return store


async def calling_store(identity: StoreCaller, session: SessionDep) -> Store:
    """The store the credential is bound to.

    Routes that take an ``Idempotency-Key`` do not use this: they claim the key before their
    session takes a connection (see :func:`load_store`), because the claim needs a connection of
    its own and a request holding two at once can exhaust the pool under load."""
    return await load_store(session, store_id_of(identity))


CallingStore = Annotated[Store, Depends(calling_store)]


async def own_sale(
    sale_id: Annotated[uuid.UUID, Path()], store: CallingStore, session: SessionDep
) -> Sale:
    """A sale of the calling store. Another store's sale is 404, as if it did not exist."""
    sale = await repo.get_sale(session, sale_id)
    if sale is None or sale.store_id != store.id:
        raise SaleNotFound(sale_id)
    return sale


async def load_own_sale_locked(session: AsyncSession, store: Store, sale_id: uuid.UUID) -> Sale:
    """As :func:`own_sale`, locked for the request on PostgreSQL, so that two corrections of
    one sale run one after the other and each sees the lines the other left in force."""
    sale = await repo.get_sale(session, sale_id, for_update=True)
    if sale is None or sale.store_id != store.id:
        raise SaleNotFound(sale_id)
    return sale


async def any_sale(
    sale_id: Annotated[uuid.UUID, Path()], _: StaffCaller, session: SessionDep
) -> Sale:
    sale = await repo.get_sale(session, sale_id)
    if sale is None:
        raise SaleNotFound(sale_id)
    return sale


SupplierDep = Annotated[Supplier, Depends(supplier_by_id)]
ProductDep = Annotated[Product, Depends(product_by_id)]
StoreDep = Annotated[Store, Depends(store_by_id)]
OwnSale = Annotated[Sale, Depends(own_sale)]
AnySale = Annotated[Sale, Depends(any_sale)]
