"""Every query of the rollups. Functions take the session first and never commit."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services.products.catalogue.tables import Product, Supplier
from services.products.db import dialect_insert
from services.products.statistics.schemas import Source
from services.products.statistics.tables import DailyRollup, MonthlyRollup
from services.products.stores.tables import Store

daily_t = DailyRollup.__table__  # type: ignore[attr-defined]
monthly_t = MonthlyRollup.__table__  # type: ignore[attr-defined]
products_t = Product.__table__  # type: ignore[attr-defined]
suppliers_t = Supplier.__table__  # type: ignore[attr-defined]
stores_t = Store.__table__  # type: ignore[attr-defined]

GROUPS = ("store", "product", "category", "supplier", "township", "month")

Key = tuple[date, uuid.UUID, uuid.UUID]


def _sum_per_key(
    contributions: Iterable[tuple[Any, ...]],
) -> tuple[dict[Key, list[int]], dict[Key, list[int]]]:
    """(business_date, store, product, quantity, grams, fen) summed per daily and monthly key."""
    daily: dict[Key, list[int]] = {}
    monthly: dict[Key, list[int]] = {}
    for day, store_id, product_id, quantity, grams, fen in contributions:
        for bucket, key in (
            (daily, (day, store_id, product_id)),
            (monthly, (day.replace(day=1), store_id, product_id)),
        ):
            sums = bucket.setdefault(key, [0, 0, 0])
            sums[0] += quantity
            sums[1] += grams
            sums[2] += fen
    return daily, monthly


async def add_to_rollups(session: AsyncSession, contributions: Iterable[tuple[Any, ...]]) -> None:
    """Add (business_date, store_id, product_id, quantity, grams, fen) to both rollups.

    Summed per key first (one statement may not touch a row twice) and upserted in key order,
    so concurrent transactions lock rollup rows in the same order and cannot deadlock."""
    daily, monthly = _sum_per_key(contributions)
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


async def day_sums(session: AsyncSession, store_id: uuid.UUID, day: date) -> Any:
    """Quantity, grams and fen of a store's business day, net of corrections."""
    return (
        await session.execute(
            select(
                func.coalesce(func.sum(daily_t.c.quantity), 0).label("quantity"),
                func.coalesce(func.sum(daily_t.c.grams), 0).label("grams"),
                func.coalesce(func.sum(daily_t.c.fen), 0).label("fen"),
            ).where(daily_t.c.store_id == store_id, daily_t.c.business_date == day)
        )
    ).one()


def _grouping(r: Any, group_by: Sequence[str]) -> tuple[list[Any], list[Any]]:
    """The selected columns and the GROUP BY columns of the groups asked for."""
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
    return columns, group_cols


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _month_end(day: date) -> date:
    return _next_month(day) - timedelta(days=1) if day < date(9999, 12, 1) else date.max


def _month_before(month: date) -> date:
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


Span = tuple[date | None, date | None]


def periods(date_from: date | None, date_to: date | None) -> tuple[Span | None, list[Span]]:
    """A period split into the whole months the monthly rollup answers (the first days of its
    first and last whole month, either open) and the days at its partial ends the daily rollup
    answers (at most one range at each end). A period within one month that is not the whole
    month is all days."""
    if date_from and date_to and date_from.replace(day=1) == date_to.replace(day=1):
        if date_from.day == 1 and date_to == _month_end(date_to):
            return (date_from, date_from), []
        return None, [(date_from, date_to)]
    days: list[Span] = []
    first, last, no_months = date_from, None, False
    if date_from is not None and date_from.day != 1:
        days.append((date_from, _month_end(date_from)))
        no_months = date_from >= date(9999, 12, 1)
        first = None if no_months else _next_month(date_from)
    if date_to is not None:
        last = date_to.replace(day=1)
        if date_to != _month_end(date_to):
            days.append((last, date_to))
            no_months = no_months or last == date.min
            last = None if last == date.min else _month_before(last)
    if no_months or (first is not None and last is not None and first > last):
        return None, days
    return (first, last), days


def _parts(date_from: date | None, date_to: date | None) -> tuple[Any, Source]:
    """The rollup rows of a period (month, store, product, sums) and which rollups they come
    from: whole months from the monthly rollup, the partial months at the ends from the daily
    one. Exact: every day of the period is in exactly one part."""
    months, days = periods(date_from, date_to)
    cols = ("month", "store_id", "product_id", "quantity", "grams", "fen")
    parts = []
    if months is not None:
        first, last = months
        query = select(*(monthly_t.c[c] for c in cols))
        if first is not None:
            query = query.where(monthly_t.c.month >= first.replace(day=1))
        if last is not None:
            query = query.where(monthly_t.c.month <= last.replace(day=1))
        parts.append(query)
    if days:
        ranges = []
        for start, end in days:
            bounds = []
            if start is not None:
                bounds.append(daily_t.c.business_date >= start)
            if end is not None:
                bounds.append(daily_t.c.business_date <= end)
            ranges.append(and_(*bounds))
        parts.append(select(*(daily_t.c[c] for c in cols)).where(or_(*ranges)))
    source: Source = "monthly" if not days else "daily" if months is None else "monthly_and_daily"
    if len(parts) == 1:
        return parts[0].subquery("r"), source
    return union_all(*parts).subquery("r"), source


async def statistics(
    session: AsyncSession,
    *,
    date_from: date | None,
    date_to: date | None,
    group_by: Sequence[str],
    store_id: uuid.UUID | None,
    supplier_id: uuid.UUID | None,
    category: str | None,
    township: str | None,
) -> tuple[list[Any], Source]:
    """Sums of the rollups joined to the catalogue, grouped as asked, and which rollups answered
    (see :func:`_parts`). Never reads sale lines."""
    r, source = _parts(date_from, date_to)
    columns, group_cols = _grouping(r, group_by)
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
    return list((await session.execute(query)).all()), source


async def store_counts(
    session: AsyncSession,
    *,
    opened_before: datetime | None,
    open_at_or_after: datetime | None,
    store_id: uuid.UUID | None,
) -> dict[str, int]:
    """Stores per kind created before ``opened_before`` and not archived before
    ``open_at_or_after`` (either bound may be absent)."""
    stmt = select(stores_t.c.kind, func.count()).group_by(stores_t.c.kind)
    if opened_before is not None:
        stmt = stmt.where(stores_t.c.created_at < opened_before)
    if open_at_or_after is not None:
        stmt = stmt.where(
            (stores_t.c.archived_at.is_(None)) | (stores_t.c.archived_at >= open_at_or_after)
        )
    if store_id is not None:
        stmt = stmt.where(stores_t.c.id == store_id)
    return {str(kind): int(n) for kind, n in (await session.execute(stmt)).all()}


async def selling_stores(
    session: AsyncSession,
    *,
    date_from: date | None,
    date_to: date | None,
    store_id: uuid.UUID | None,
) -> set[uuid.UUID]:
    """Stores whose net sales in the period are not nothing: from the same parts as the sums
    (whole months from the monthly rollup, the partial ends from the daily one), so a long
    period does not read every day of every store and product."""
    r, _source = _parts(date_from, date_to)
    stmt = (
        select(r.c.store_id)
        .group_by(r.c.store_id)
        .having((func.sum(r.c.quantity) != 0) | (func.sum(r.c.fen) != 0))
    )
    if store_id is not None:
        stmt = stmt.where(r.c.store_id == store_id)
    return {row[0] for row in (await session.execute(stmt)).all()}
