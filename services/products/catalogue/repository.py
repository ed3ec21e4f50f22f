"""Every query of the catalogue. Functions take the session first and never commit."""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.products.catalogue.tables import Product, Supplier
from shared.pagination import Keyset, keyset_page

products_t = Product.__table__  # type: ignore[attr-defined]
suppliers_t = Supplier.__table__  # type: ignore[attr-defined]

# Lists are in the order rows were created.
SUPPLIER_ORDER = Keyset(suppliers_t.c.created_at, suppliers_t.c.id)
PRODUCT_ORDER = Keyset(products_t.c.created_at, products_t.c.id)

# What a sale needs of a product; read as plain rows, not entities.
_SALE_COLUMNS = (
    products_t.c.id,
    products_t.c.sku,
    products_t.c.supplier_id,
    products_t.c.net_weight_grams,
    products_t.c.archived_at,
)


async def supplier_by_id(session: AsyncSession, supplier_id: uuid.UUID) -> Supplier | None:
    return await session.get(Supplier, supplier_id)


async def product_by_id(session: AsyncSession, product_id: uuid.UUID) -> Product | None:
    return await session.get(Product, product_id)


async def suppliers_page(
    session: AsyncSession, *, limit: int, cursor: str | None, include_archived: bool
) -> tuple[list[Supplier], str | None]:
    query = select(Supplier)
    if not include_archived:
        query = query.where(suppliers_t.c.archived_at.is_(None))
    return await keyset_page(session, query, SUPPLIER_ORDER, limit=limit, cursor=cursor)


async def products_page(
    session: AsyncSession,
    *,
    limit: int,
    cursor: str | None,
    include_archived: bool,
    category: str | None,
    supplier_id: uuid.UUID | None,
) -> tuple[list[Product], str | None]:
    query = select(Product)
    if category is not None:
        query = query.where(products_t.c.category == category)
    if supplier_id is not None:
        query = query.where(products_t.c.supplier_id == supplier_id)
    if not include_archived:
        query = query.where(products_t.c.archived_at.is_(None))
    return await keyset_page(session, query, PRODUCT_ORDER, limit=limit, cursor=cursor)


async def product_by_sku(session: AsyncSession, sku: str) -> Product | None:
    return (await session.scalars(select(Product).where(products_t.c.sku == sku))).first()


async def products_by_skus(session: AsyncSession, skus: Iterable[str]) -> dict[str, Any]:
    """The catalogue rows a set of sales refer to, loaded in one query."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = await session.execute(select(*_SALE_COLUMNS).where(products_t.c.sku.in_(wanted)))
    return {row.sku: row for row in rows}


async def products_by_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(select(*_SALE_COLUMNS).where(products_t.c.id.in_(wanted)))
    return {row.id: row for row in rows}
