"""Every query of the business days. Functions take the session first and never commit."""

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.products.days.tables import StoreDay
from services.products.db import dialect_insert
from shared.db import is_postgres

days_t = StoreDay.__table__  # type: ignore[attr-defined]


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
