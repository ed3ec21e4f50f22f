"""HTTP routes of the statistics: a store's own totals and the bureau's statistics.

Two routers, so that the composition root keeps the API's order (the store's routes sit with the
other ``/stores/me`` ones, the bureau's after the sales)."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.products.catalogue.schemas import Category
from services.products.dependencies import CallingStore, StaffCaller
from services.products.inputs import Day
from services.products.statistics import service
from services.products.statistics.schemas import SalesStatistics, StatsResult
from shared.db import SessionDep
from shared.openapi import responses

store_router = APIRouter(prefix="/v1/products")
staff_router = APIRouter(prefix="/v1/products")

GroupBy = Annotated[
    list[Literal["store", "product", "category", "supplier", "township", "month"]],
    Query(max_length=6, description="Group the sums; repeat for several."),
]


@store_router.get(
    "/stores/me/statistics",
    response_model=StatsResult,
    tags=["store sales"],
    operation_id="getOwnStatistics",
    summary="The calling store's totals",
    responses=responses(401, 403, 422),
)
async def own_statistics(
    store: CallingStore,
    session: SessionDep,
    date_from: Day | None = None,
    date_to: Day | None = None,
    group_by: GroupBy = [],  # noqa: B006 - FastAPI copies defaults
    category: Category | None = None,
) -> StatsResult:
    """Weight and revenue of the calling store's sales (net of corrections), as the bureau's
    statistics but limited to this store."""
    return await service.statistics(
        session,
        date_from=date_from,
        date_to=date_to,
        group_by=group_by,
        store_id=store.id,
        category=category,
    )


@staff_router.get(
    "/statistics",
    response_model=SalesStatistics,
    tags=["statistics"],
    operation_id="getStatistics",
    summary="Sales statistics",
    responses=responses(401, 403, 422),
)
async def statistics(
    _: StaffCaller,
    session: SessionDep,
    date_from: Day | None = None,
    date_to: Day | None = None,
    group_by: GroupBy = [],  # noqa: B006 - FastAPI copies defaults
    store_id: uuid.UUID | None = None,
    supplier_id: uuid.UUID | None = None,
    category: Category | None = None,
    township: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
) -> SalesStatistics:
    """Weight sold (grams, and tonnes to the kilogram) and revenue (fen, and yuan) net of
    corrections, grouped by any of store, product, category, supplier, township of origin and
    month, over business days `date_from`..`date_to` (inclusive, China time). Answered from
    rollups kept with every sale: the whole months of a period from the monthly rollup, the
    partial months at its ends from the daily one; neither reads sale lines. `stores` counts the
    stores open during the period (flagship stores and exhibition centres), whether or not they
    sold."""
    return await service.sales_statistics(
        session,
        date_from=date_from,
        date_to=date_to,
        group_by=group_by,
        store_id=store_id,
        supplier_id=supplier_id,
        category=category,
        township=township,
    )
