"""Use cases of the statistics: the rollups every sale and correction adds to, and the sums read
from them. Never commits; never reads sale lines."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.products.clock import CHINA_TZ
from services.products.statistics import repository as repo
from services.products.statistics.schemas import (
    SalesStatistics,
    StatsResult,
    StatsRow,
    StoreCounts,
)
from shared.errors import Unprocessable


def tonnes(grams: int) -> str:
    """Grams as tonnes with three decimals (to the kilogram, half away from zero), no floats."""
    kg = (abs(grams) + 500) // 1000
    sign = "-" if grams < 0 and kg else ""
    return f"{sign}{kg // 1000}.{kg % 1000:03d}"


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


async def add_to_rollups(session: AsyncSession, contributions: Iterable[tuple[Any, ...]]) -> None:
    """Add (business_date, store_id, product_id, quantity, grams, fen) to both rollups, in the
    caller's transaction."""
    await repo.add_to_rollups(session, contributions)


async def day_sums(session: AsyncSession, store_id: uuid.UUID, day: date) -> dict[str, int]:
    """Units, grams and fen of a store's business day, net of corrections."""
    row = await repo.day_sums(session, store_id, day)
    return {
        "total_quantity": int(row.quantity),
        "total_grams": int(row.grams),
        "total_fen": int(row.fen),
    }


def _stats_row(values: dict[str, Any]) -> StatsRow:
    grams, fen = int(values.pop("grams")), int(values.pop("fen"))
    quantity = int(values.pop("quantity"))
    month = values.pop("month", None)
    return StatsRow(
        **values,
        month=month.strftime("%Y-%m") if month else None,
        quantity=quantity,
        grams=grams,
        tonnes=tonnes(grams),
        fen=fen,
        yuan=yuan(fen),
    )


async def statistics(
    session: AsyncSession,
    *,
    date_from: date | None,
    date_to: date | None,
    group_by: Sequence[str],
    store_id: uuid.UUID | None = None,
    supplier_id: uuid.UUID | None = None,
    category: str | None = None,
    township: str | None = None,
) -> StatsResult:
    """Whole months read the monthly rollup, the partial months at the ends of a period the
    daily one (see :func:`repo.periods`)."""
    if date_from and date_to and date_from > date_to:
        raise Unprocessable("date_from is after date_to.")
    groups = [g for g in repo.GROUPS if g in set(group_by)]
    query: dict[str, Any] = {
        "date_from": date_from,
        "date_to": date_to,
        "store_id": store_id,
        "supplier_id": supplier_id,
        "category": category,
        "township": township,
    }
    rows, source = await repo.statistics(session, group_by=groups, **query)
    # The groups partition the rows the total would sum (same parts, joins and filters), so
    # the total is the sum of the groups: exact, without reading the rollups a second time.
    total = {
        name: sum(int(getattr(r, name)) for r in rows) for name in ("quantity", "grams", "fen")
    }
    return StatsResult(
        date_from=date_from,
        date_to=date_to,
        group_by=groups,
        source=source,
        rows=[_stats_row(dict(r._mapping)) for r in rows],
        total=_stats_row(total),
    )


def _china_midnight(day: date) -> datetime | None:
    """The start of a business day, in UTC; None for the first day of the calendar (its
    midnight in China time is before year 1 in UTC, and no store is older)."""
    if day <= date.min:
        return None
    return datetime.combine(day, time(0), tzinfo=CHINA_TZ).astimezone(UTC)


async def store_counts(
    session: AsyncSession,
    *,
    date_from: date | None,
    date_to: date | None,
    store_id: uuid.UUID | None,
) -> StoreCounts:
    """The stores open during the business days ``date_from``..``date_to`` (China time),
    counted whether or not they sold, and how many of them sold."""
    per_kind = await repo.store_counts(
        session,
        opened_before=(
            _china_midnight(date_to + timedelta(days=1)) if date_to and date_to < date.max else None
        ),
        open_at_or_after=_china_midnight(date_from) if date_from else None,
        store_id=store_id,
    )
    selling = await repo.selling_stores(
        session, date_from=date_from, date_to=date_to, store_id=store_id
    )
    return StoreCounts(
        total=sum(per_kind.values()),
        flagship_store=per_kind.get("flagship_store", 0),
        exhibition_centre=per_kind.get("exhibition_centre", 0),
        selling=len(selling),
    )


async def sales_statistics(
    session: AsyncSession,
    *,
    date_from: date | None,
    date_to: date | None,
    group_by: Sequence[str],
    store_id: uuid.UUID | None = None,
    supplier_id: uuid.UUID | None = None,
    category: str | None = None,
    township: str | None = None,
) -> SalesStatistics:
    """The bureau's statistics: the sums of :func:`statistics` and the stores of the period."""
    sums = await statistics(
        session,
        date_from=date_from,
        date_to=date_to,
        group_by=group_by,
        store_id=store_id,
        supplier_id=supplier_id,
        category=category,
        township=township,
    )
    stores = await store_counts(session, date_from=date_from, date_to=date_to, store_id=store_id)
    return SalesStatistics(**sums.model_dump(), stores=stores)
