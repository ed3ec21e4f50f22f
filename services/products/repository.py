"""Every query of the products service. Functions take the session first and never commit."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.products.models import (
    DailyRollup,
    MonthlyRollup,
    Product,
    Sale,
    SaleLine,
    Store,
    StoreDay,
    Supplier,
)
from shared.db import is_postgres
from shared.pagination import decode_cursor, encode_cursor

sales_t = Sale.__table__  # type: ignore[attr-defined]
lines_t = SaleLine.__table__  # type: ignore[attr-defined]
days_t = StoreDay.__table__  # type: ignore[attr-defined]
daily_t = DailyRollup.__table__  # type: ignore[attr-defined]
monthly_t = MonthlyRollup.__table__  # type: ignore[attr-defined]
products_t = Product.__table__  # type: ignore[attr-defined]
suppliers_t = Supplier.__table__  # type: ignore[attr-defined]
stores_t = Store.__table__  # type: ignore[attr-defined]


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """``INSERT`` with ``ON CONFLICT`` support for the session's database."""
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


# --- catalogue and stores (keyset pages ordered by creation) ----------------------------------


async def page_of(
    session: AsyncSession,
    model: Any,
    *,
    limit: int,
    cursor: str | None,
    include_archived: bool,
    filters: Sequence[Any] = (),
) -> tuple[list[Any], str | None]:
    table = model.__table__
    query = select(model).where(*filters)
    if not include_archived:
        query = query.where(table.c.archived_at.is_(None))
    after = decode_cursor(cursor)
    if after is not None:
        try:
            at, ident = datetime.fromisoformat(after["t"]), uuid.UUID(after["id"])
        except (KeyError, TypeError, ValueError):
            from shared.errors import Unprocessable

            raise Unprocessable(
                "The cursor is not valid; start again from the first page."
            ) from None
        query = query.where(
            or_(table.c.created_at > at, and_(table.c.created_at == at, table.c.id > ident))
        )
    rows = list(
        (
            await session.scalars(query.order_by(table.c.created_at, table.c.id).limit(limit + 1))
        ).all()
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor({"t": last.created_at.isoformat(), "id": str(last.id)})
    return rows, next_cursor


async def product_by_sku(session: AsyncSession, sku: str) -> Product | None:
    return (await session.scalars(select(Product).where(products_t.c.sku == sku))).first()


async def products_by_skus(session: AsyncSession, skus: Iterable[str]) -> dict[str, Any]:
    """The catalogue rows a set of sales refer to, loaded in one query."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = await session.execute(
        select(
            products_t.c.id,
            products_t.c.sku,
            products_t.c.supplier_id,
            products_t.c.net_weight_grams,
            products_t.c.archived_at,
        ).where(products_t.c.sku.in_(wanted))
    )
    return {row.sku: row for row in rows}


async def products_by_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(
            products_t.c.id,
            products_t.c.sku,
            products_t.c.supplier_id,
            products_t.c.net_weight_grams,
            products_t.c.archived_at,
        ).where(products_t.c.id.in_(wanted))
    )
    return {row.id: row for row in rows}


# --- sales -------------------------------------------------------------------------------------


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


async def lock_open_days(
    session: AsyncSession, store_id: uuid.UUID, days: Iterable[date]
) -> set[date]:
    """Make sure each day has its row and lock it shared for this transaction; return the closed
    ones. A day close locks the row exclusively, so a sale and a close of the same day never
    interleave: the sale either commits before the close counts it, or sees the day closed."""
    wanted = sorted(set(days))
    if not wanted:
        return set()
    stmt = dialect_insert(session, days_t).on_conflict_do_nothing(
        index_elements=["store_id", "business_date"]
    )
    await session.execute(stmt, [{"store_id": store_id, "business_date": d} for d in wanted])
    query = select(days_t.c.business_date, days_t.c.closed_at).where(
        days_t.c.store_id == store_id, days_t.c.business_date.in_(wanted)
    )
    if is_postgres(session):
        query = query.order_by(days_t.c.business_date).with_for_update(read=True)
    rows = await session.execute(query)
    return {row.business_date for row in rows if row.closed_at is not None}


async def lock_day_for_close(session: AsyncSession, store_id: uuid.UUID, day: date) -> Any:
    stmt = dialect_insert(session, days_t).on_conflict_do_nothing(
        index_elements=["store_id", "business_date"]
    )
    await session.execute(stmt, [{"store_id": store_id, "business_date": day}])
    query = select(days_t).where(days_t.c.store_id == store_id, days_t.c.business_date == day)
    if is_postgres(session):
        query = query.with_for_update()
    return (await session.execute(query)).one()


async def get_day(session: AsyncSession, store_id: uuid.UUID, day: date) -> Any:
    return (
        await session.execute(
            select(days_t).where(days_t.c.store_id == store_id, days_t.c.business_date == day)
        )
    ).one_or_none()


async def mark_day_closed(
    session: AsyncSession, store_id: uuid.UUID, day: date, values: dict[str, Any]
) -> None:
    await session.execute(
        update(days_t)
        .where(days_t.c.store_id == store_id, days_t.c.business_date == day)
        .values(**values)
    )


async def day_totals(session: AsyncSession, store_id: uuid.UUID, day: date) -> dict[str, int]:
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(daily_t.c.quantity), 0).label("quantity"),
                func.coalesce(func.sum(daily_t.c.grams), 0).label("grams"),
                func.coalesce(func.sum(daily_t.c.fen), 0).label("fen"),
            ).where(daily_t.c.store_id == store_id, daily_t.c.business_date == day)
        )
    ).one()
    counts: dict[str, int] = dict(
        (
            await session.execute(
                select(sales_t.c.kind, func.count())
                .where(
                    sales_t.c.store_id == store_id,
                    sales_t.c.business_date == day,
                    sales_t.c.kind.in_(["sale", "void"]),
                )
                .group_by(sales_t.c.kind)
            )
        ).all()
    )
    return {
        "sale_count": int(counts.get("sale", 0)) - int(counts.get("void", 0)),
        "total_quantity": int(row.quantity),
        "total_grams": int(row.grams),
        "total_fen": int(row.fen),
    }


async def insert_sales(
    session: AsyncSession, sales: list[dict[str, Any]], lines: list[dict[str, Any]]
) -> None:
    if sales:
        await session.execute(insert(sales_t), sales)
    if lines:
        await session.execute(insert(lines_t), lines)


async def add_to_rollups(session: AsyncSession, contributions: Iterable[tuple[Any, ...]]) -> None:
    """Add (business_date, store_id, product_id, quantity, grams, fen) to both rollups.

    Summed per key first (one statement may not touch a row twice) and upserted in key order,
    so concurrent transactions lock rollup rows in the same order and cannot deadlock."""
    daily: dict[tuple[date, uuid.UUID, uuid.UUID], list[int]] = {}
    monthly: dict[tuple[date, uuid.UUID, uuid.UUID], list[int]] = {}
    for day, store_id, product_id, quantity, grams, fen in contributions:
        for bucket, key in (
            (daily, (day, store_id, product_id)),
            (monthly, (day.replace(day=1), store_id, product_id)),
        ):
            sums = bucket.setdefault(key, [0, 0, 0])
            sums[0] += quantity
            sums[1] += grams
            sums[2] += fen
    for table, bucket, keys in (
        (daily_t, daily, ["business_date", "store_id", "product_id"]),
        (monthly_t, monthly, ["month", "store_id", "product_id"]),
    ):
        if not bucket:
            continue
        rows = []
        for key in sorted(bucket, key=lambda k: (k[0], str(k[1]), str(k[2]))):
            q, g, f = bucket[key]
            row = dict(zip(keys, key, strict=True)) | {"quantity": q, "grams": g, "fen": f}
            if table is daily_t:
                row["month"] = key[0].replace(day=1)
            rows.append(row)
        stmt = dialect_insert(session, table)
        stmt = stmt.on_conflict_do_update(
            index_elements=keys,
            set_={
                "quantity": table.c.quantity + stmt.excluded.quantity,
                "grams": table.c.grams + stmt.excluded.grams,
                "fen": table.c.fen + stmt.excluded.fen,
            },
        )
        await session.execute(stmt, rows)


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
    after = decode_cursor(cursor)
    if after is not None:
        try:
            at, ident = datetime.fromisoformat(after["t"]), uuid.UUID(after["id"])
        except (KeyError, TypeError, ValueError):
            from shared.errors import Unprocessable

            raise Unprocessable(
                "The cursor is not valid; start again from the first page."
            ) from None
        query = query.where(
            or_(sales_t.c.sold_at < at, and_(sales_t.c.sold_at == at, sales_t.c.id < ident))
        )
    rows = list(
        (
            await session.scalars(
                query.order_by(sales_t.c.sold_at.desc(), sales_t.c.id.desc()).limit(limit + 1)
            )
        ).all()
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor({"t": rows[-1].sold_at.isoformat(), "id": str(rows[-1].id)})
    return rows, next_cursor


# --- statistics and traceability --------------------------------------------------------------

GROUPS = ("store", "product", "category", "supplier", "township", "month")


async def statistics(
    session: AsyncSession,
    *,
    monthly: bool,
    date_from: date | None,
    date_to: date | None,
    group_by: Sequence[str],
    store_id: uuid.UUID | None,
    supplier_id: uuid.UUID | None,
    category: str | None,
    township: str | None,
) -> list[Any]:
    """Sums of a rollup joined to the catalogue, grouped as asked. Never reads sale lines."""
    r = monthly_t if monthly else daily_t
    columns: list[Any] = []
    group_cols: list[Any] = []
    if "store" in group_by:
        columns += [r.c.store_id.label("store_id"), stores_t.c.name.label("store_name")]
        group_cols += [r.c.store_id, stores_t.c.name]
    if "product" in group_by:
        columns += [
            r.c.product_id.label("product_id"),
            products_t.c.sku.label("sku"),
            products_t.c.name.label("product_name"),
        ]
        group_cols += [r.c.product_id, products_t.c.sku, products_t.c.name]
    if "category" in group_by:
        columns.append(products_t.c.category.label("category"))
        group_cols.append(products_t.c.category)
    if "supplier" in group_by:
        columns += [
            products_t.c.supplier_id.label("supplier_id"),
            suppliers_t.c.name.label("supplier_name"),
        ]
        group_cols += [products_t.c.supplier_id, suppliers_t.c.name]
    if "township" in group_by:
        columns.append(suppliers_t.c.township.label("township"))
        group_cols.append(suppliers_t.c.township)
    if "month" in group_by:
        columns.append(r.c.month.label("month"))
        group_cols.append(r.c.month)
    sums = [
        func.coalesce(func.sum(r.c.quantity), 0).label("quantity"),
        func.coalesce(func.sum(r.c.grams), 0).label("grams"),
        func.coalesce(func.sum(r.c.fen), 0).label("fen"),
    ]
    query = select(*columns, *sums).select_from(
        r.join(products_t, products_t.c.id == r.c.product_id)
        .join(suppliers_t, suppliers_t.c.id == products_t.c.supplier_id)
        .join(stores_t, stores_t.c.id == r.c.store_id)
    )
    if monthly:
        if date_from is not None:
            query = query.where(r.c.month >= date_from.replace(day=1))
        if date_to is not None:
            query = query.where(r.c.month <= date_to.replace(day=1))
    else:
        if date_from is not None:
            query = query.where(r.c.business_date >= date_from)
        if date_to is not None:
            query = query.where(r.c.business_date <= date_to)
    if store_id is not None:
        query = query.where(r.c.store_id == store_id)
    if supplier_id is not None:
        query = query.where(products_t.c.supplier_id == supplier_id)
    if category is not None:
        query = query.where(products_t.c.category == category)
    if township is not None:
        query = query.where(suppliers_t.c.township == township)
    if group_cols:
        query = query.group_by(*group_cols).order_by(*group_cols)
    return list((await session.execute(query)).all())


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
