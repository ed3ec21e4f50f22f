"""Use cases of the catalogue: suppliers and products. Never commits.

SKU, supplier and net weight of a product are fixed once created, because recorded sales and
rollups depend on them. Nothing is deleted: suppliers and products are archived
(:func:`services.products.db.archive`)."""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.products.catalogue import repository as repo
from services.products.catalogue.schemas import (
    Category,
    ProductCreate,
    ProductUpdate,
    SupplierCreate,
    SupplierUpdate,
)
from services.products.catalogue.tables import Product, Supplier
from services.products.db import archive
from services.products.errors import SkuTaken, SupplierArchived
from services.products.inputs import apply_changes
from shared.errors import Unprocessable

# --- suppliers ---------------------------------------------------------------------------------


async def find_supplier(session: AsyncSession, supplier_id: uuid.UUID) -> Supplier | None:
    return await repo.supplier_by_id(session, supplier_id)


async def list_suppliers(
    session: AsyncSession, *, limit: int, cursor: str | None, include_archived: bool
) -> tuple[list[Supplier], str | None]:
    return await repo.suppliers_page(
        session, limit=limit, cursor=cursor, include_archived=include_archived
    )


async def create_supplier(session: AsyncSession, body: SupplierCreate) -> Supplier:
    supplier = Supplier.model_validate(body)
    session.add(supplier)
    await session.flush()
    return supplier


async def update_supplier(
    session: AsyncSession, supplier: Supplier, body: SupplierUpdate
) -> Supplier:
    apply_changes(supplier, body)
    await session.flush()
    return supplier


# --- products ----------------------------------------------------------------------------------


async def find_product(session: AsyncSession, product_id: uuid.UUID) -> Product | None:
    return await repo.product_by_id(session, product_id)


async def list_products(
    session: AsyncSession,
    *,
    limit: int,
    cursor: str | None,
    include_archived: bool,
    category: Category | None,
    supplier_id: uuid.UUID | None,
) -> tuple[list[Product], str | None]:
    return await repo.products_page(
        session,
        limit=limit,
        cursor=cursor,
        include_archived=include_archived,
        category=category,
        supplier_id=supplier_id,
    )


async def create_product(session: AsyncSession, body: ProductCreate) -> Product:
    supplier = await repo.supplier_by_id(session, body.supplier_id)
    if supplier is None:
        raise Unprocessable(
            f"supplier_id {body.supplier_id} refers to no supplier.", field="supplier_id"
        )
    if supplier.archived_at is not None:
        raise SupplierArchived()
    if await repo.product_by_sku(session, body.sku) is not None:
        raise SkuTaken(body.sku)
    product = Product.model_validate(body)
    session.add(product)
    await session.flush()
    return product


async def update_product(session: AsyncSession, product: Product, body: ProductUpdate) -> Product:
    apply_changes(product, body)
    await session.flush()
    return product


# --- what sales read of the catalogue ----------------------------------------------------------


async def products_by_skus(session: AsyncSession, skus: Iterable[str]) -> dict[str, Any]:
    """SKU → (id, sku, supplier_id, net_weight_grams, archived_at), in one query."""
    return await repo.products_by_skus(session, skus)


async def products_by_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Id → the same rows as :func:`products_by_skus`, in one query."""
    return await repo.products_by_ids(session, ids)


async def archive_supplier(session: AsyncSession, supplier: Supplier, *, now: datetime) -> Supplier:
    """Archived suppliers take no new products; their history stays."""
    return await archive(session, supplier, now=now)


async def archive_product(session: AsyncSession, product: Product, *, now: datetime) -> Product:
    """An archived SKU can no longer be sold; sales that refer to it keep it."""
    return await archive(session, product, now=now)
