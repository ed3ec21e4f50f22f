"""HTTP routes of the calling store's business days."""

from fastapi import APIRouter

from services.products.days import service
from services.products.days.schemas import DayPublic
from services.products.dependencies import CallingStore, StoreCaller
from services.products.inputs import Day
from shared.db import SessionDep
from shared.openapi import responses
from shared.runtime import Now

router = APIRouter(prefix="/v1/products")


@router.post(
    "/stores/me/days/{business_date}/close",
    response_model=DayPublic,
    tags=["store sales"],
    operation_id="closeDay",
    summary="Close a business day",
    responses=responses(401, 403, 409, 422, descriptions={409: "The day is already closed"}),
)
async def close_day(
    business_date: Day, identity: StoreCaller, store: CallingStore, session: SessionDep, now: Now
) -> DayPublic:
    """Close the calling store's business day (a date in China time, UTC+8): the totals are
    computed and published (`products.day.closed`). After that the day takes no new sales,
    only corrections of sales already recorded. A day that has not begun cannot be closed."""
    return await service.close_day(session, store, business_date, actor=identity.actor, now=now)


@router.get(
    "/stores/me/days/{business_date}",
    response_model=DayPublic,
    tags=["store sales"],
    operation_id="getOwnDay",
    summary="A business day of the calling store",
    responses=responses(401, 403, 422),
)
async def get_own_day(business_date: Day, store: CallingStore, session: SessionDep) -> DayPublic:
    """Whether the day is closed, its totals at the close, and its totals now."""
    return await service.day_view(session, store, business_date)
