"""Every query of the sales. Functions take the session first and never commit."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.products.catalogue.tables import Product, Supplier
from services.products.sales.tables import Sale, SaleLine
from shared.db import is_postgres
from shared.pagination import Keyset, keyset_page

sales_t = Sale.__table__  # type: ignore[attr-defined]
lines_t = SaleLine.__table__  # type: ignore[attr-defined]
products_t = Product.__table__  # type: ignore[attr-defined]
suppliers_t = Supplier.__table__  # type: ignore[attr-defined]

NEWEST_SOLD_FIRST = Keyset(sales_t.c.sold_at, sales_t.c.id, newest_first=True)


async def existing_receipts(
    session: AsyncSession, store_id: uuid.UUID, receipts: Iterable[str]
) -> set[str]:
    wanted = sorted(set(receipts))
    found: set[str] = set()
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        found.update(
            await session.scalars(
                select(sales_t.c.receipt_number).where(
                    sales_t.c.store_id == store_id,
                    sales_t.c.kind == "sale",
                    sales_t.c.receipt_number.in_(chunk),
                )
            )
        )
    return found


async def insert_sales(
    session: AsyncSession, sales: list[dict[str, Any]], lines: list[dict[str, Any]]
) -> None:
    if sales:
        await session.execute(insert(sales_t), sales)
    if lines:
        await session.execute(insert(lines_t), lines)


async def get_sale(
    session: AsyncSession, sale_id: uuid.UUID, *, for_update: bool = False
) -> Sale | None:
    query = select(Sale).where(sales_t.c.id == sale_id)
    if for_update and is_postgres(session):
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def corrections_of(session: AsyncSession, sale_id: uuid.UUID) -> list[Sale]:
    return list(
        (
            await session.scalars(
                select(Sale)
                .where(sales_t.c.original_sale_id == sale_id)
                .order_by(sales_t.c.recorded_at, sales_t.c.id)
            )
        ).all()
    )


async def lines_of(
    session: AsyncSession, sale_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[SaleLine]]:
    result: dict[uuid.UUID, list[SaleLine]] = {sid: [] for sid in sale_ids}
    if not sale_ids:
        return result
    rows = await session.scalars(
        select(SaleLine)
        .where(lines_t.c.sale_id.in_(list(sale_ids)))
        .order_by(lines_t.c.sale_id, lines_t.c.line_no)
    )
    for line in rows:
        result[line.sale_id].append(line)
    return result


async def list_sales(
    session: AsyncSession,
    *,
    store_id: uuid.UUID | None,
    date_from: date | None,
    date_to: date | None,
    kind: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Sale], str | None]:
    """Newest first by sale time."""
    query = select(Sale)
    if store_id is not None:
        query = query.where(sales_t.c.store_id == store_id)
    if date_from is not None:
        query = query.where(sales_t.c.business_date >= date_from)
    if date_to is not None:
        query = query.where(sales_t.c.business_date <= date_to)
    if kind is not None:
        query = query.where(sales_t.c.kind == kind)
    return await keyset_page(session, query, NEWEST_SOLD_FIRST, limit=limit, cursor=cursor)


async def count_by_kind_on(
    session: AsyncSession, store_id: uuid.UUID, day: date, kinds: Sequence[str]
) -> dict[str, int]:
    """How many records of each kind a store has on a business day."""
    rows = await session.execute(
        select(sales_t.c.kind, func.count())
        .where(
            sales_t.c.store_id == store_id,
            sales_t.c.business_date == day,
            sales_t.c.kind.in_(list(kinds)),
        )
        .group_by(sales_t.c.kind)
    )
    return {kind: int(count) for kind, count in rows.all()}


async def trace_lines(session: AsyncSession, sale_id: uuid.UUID) -> list[Any]:
    query = (
        select(
            lines_t.c.line_no,
            lines_t.c.sku,
            lines_t.c.quantity,
            lines_t.c.grams,
            lines_t.c.fen,
            products_t.c.id.label("product_id"),
            products_t.c.name.label("product_name"),
            products_t.c.category,
            products_t.c.certification_number,
            suppliers_t.c.id.label("supplier_id"),
            suppliers_t.c.name.label("supplier_name"),
            suppliers_t.c.kind.label("supplier_kind"),
            suppliers_t.c.township,
            suppliers_t.c.poor_households_linked,
        )
        .select_from(
            lines_t.join(products_t, products_t.c.id == lines_t.c.product_id).join(
                suppliers_t, suppliers_t.c.id == products_t.c.supplier_id
            )
        )
        .where(lines_t.c.sale_id == sale_id)
        .order_by(lines_t.c.line_no)
    )
    return list((await session.execute(query)).all())
