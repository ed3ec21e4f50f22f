"""Use cases of a store's business days (China time): the shared lock every sale takes on its
day, closing a day, and a day's totals. Writes events to the outbox; never commits.

A closed day takes no new sales, only corrections of sales already recorded."""

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.products.clock import EARLIEST_SALE, china_today
from services.products.days import repository as repo
from services.products.days.schemas import DayPublic
from services.products.errors import DayAlreadyClosed, DayBeforeRecords, DayInFuture
from services.products.events import DayClosed as DayClosedEvent
from services.products.sales import service as sales
from services.products.statistics import service as statistics
from services.products.stores import service as stores
from services.products.stores.tables import Store
from shared.events import add_events


async def lock_open_days(
    session: AsyncSession, store_id: uuid.UUID, days: Iterable[date]
) -> set[date]:
    """Lock each day shared for this transaction (creating its row); return the closed ones."""
    return await repo.lock_open_days(session, store_id, days)


async def day_totals(session: AsyncSession, store_id: uuid.UUID, day: date) -> dict[str, int]:
    """Sales in force, units, grams and fen of a business day, net of corrections so far."""
    sums = await statistics.day_sums(session, store_id, day)
    return {"sale_count": await sales.sale_count_on(session, store_id, day), **sums}


def _day_public(store_id: uuid.UUID, day: date, row: Any, current: dict[str, int]) -> DayPublic:
    closed = row is not None and row.closed_at is not None
    return DayPublic(
        store_id=store_id,
        business_date=day,
        closed=closed,
        closed_at=row.closed_at if closed else None,
        closed_totals={
            "sale_count": row.sale_count,
            "total_quantity": row.total_quantity,
            "total_grams": row.total_grams,
            "total_fen": row.total_fen,
        }
        if closed
        else None,
        current_totals=current,
    )


async def close_day(
    session: AsyncSession, store: Store, day: date, *, actor: str, now: datetime
) -> DayPublic:
    stores.ensure_active(store)
    if day > china_today(now):
        raise DayInFuture(day)
    if day < EARLIEST_SALE.date():
        raise DayBeforeRecords(day)
    row = await repo.lock_day_for_close(session, store.id, day)
    if row.closed_at is not None:
        raise DayAlreadyClosed(day)
    totals = await day_totals(session, store.id, day)
    await repo.mark_day_closed(
        session, store.id, day, {"closed_at": now, "closed_by": actor, **totals}
    )
    await add_events(
        session, [DayClosedEvent(store_id=store.id, business_date=day, closed_at=now, **totals)]
    )
    row = await repo.get_day(session, store.id, day)
    return _day_public(store.id, day, row, totals)


async def day_view(session: AsyncSession, store: Store, day: date) -> DayPublic:
    row = await repo.get_day(session, store.id, day)
    return _day_public(store.id, day, row, await day_totals(session, store.id, day))
