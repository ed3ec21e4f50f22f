"""Use cases of the statistics: the rollups every sale and correction adds to, and the sums read
from them. Never commits; never reads sale lines."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.products.statistics import repository as repo
from services.products.statistics.schemas import StatsResult, StatsRow
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
    total_rows, _ = await repo.statistics(session, group_by=[], **query)
    total = dict(total_rows[0]._mapping) if total_rows else {"quantity": 0, "grams": 0, "fen": 0}
    return StatsResult(
        date_from=date_from,
        date_to=date_to,
        group_by=groups,
        source=source,
        rows=[_stats_row(dict(r._mapping)) for r in rows],
        total=_stats_row(total),
    )
