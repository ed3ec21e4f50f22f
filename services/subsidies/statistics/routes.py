"""Routes of the subsidies service's statistics feature."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from services.subsidies.base import CODE_PATTERN, MONTH_PATTERN
from services.subsidies.roles import Staff
from services.subsidies.statistics import service
from services.subsidies.statistics.schemas import PaidStatistics, Statistics
from shared.db import SessionDep
from shared.errors import Unprocessable
from shared.openapi import responses

router = APIRouter(prefix="/v1/subsidies")


@router.get(
    "/statistics",
    tags=["statistics"],
    operation_id="getStatistics",
    summary="Statistics per program and fund",
    response_model=Statistics,
    responses=responses(401, 403, 422),
)
async def get_statistics(
    session: SessionDep,
    _: Staff,
    group_by: Annotated[
        list[str] | None, Query(max_length=2, description="Any of `month`, `township`.")
    ] = None,
    program_code: Annotated[str | None, Query(max_length=50, pattern=CODE_PATTERN)] = None,
    fund_id: uuid.UUID | None = None,
    township: Annotated[str | None, Query(max_length=200)] = None,
    from_month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
    to_month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
) -> Statistics:
    """Per fund: budget, reserved, paid, available and usage (basis points: 10000 = 100%).
    Per program and fund (and month and/or township when grouped): applications by state,
    distinct beneficiaries of live applications, amounts (live, reserved, paid). Filters apply
    to the application's month (`from_month`..`to_month`, inclusive) and township."""
    groups = group_by or []
    for g in groups:
        if g not in service.GROUPS:
            raise Unprocessable(f"group_by accepts month and township, not '{g[:40]}'.")
    return await service.statistics(
        session,
        group_by=list(dict.fromkeys(groups)),
        program_code=program_code,
        fund_id=fund_id,
        township=township,
        from_month=from_month,
        to_month=to_month,
    )


@router.get(
    "/statistics/paid",
    tags=["statistics"],
    operation_id="getPaidStatistics",
    summary="Subsidies paid per program over a period",
    response_model=PaidStatistics,
    responses=responses(401, 403, 422),
)
async def get_paid_statistics(
    session: SessionDep,
    _: Staff,
    from_date: Annotated[
        date | None, Query(alias="from", description="First day, China time (inclusive).")
    ] = None,
    to_date: Annotated[
        date | None, Query(alias="to", description="Last day, China time (inclusive).")
    ] = None,
    program_code: Annotated[str | None, Query(max_length=50, pattern=CODE_PATTERN)] = None,
    fund_id: uuid.UUID | None = None,
) -> PaidStatistics:
    """Per program and fund: the amount the bank paid (result lines settled `paid`) whose
    settlement falls from `from` to `to` (dates in China time, both inclusive; either may be
    left out), the payments and distinct beneficiaries paid, beside the fund's budget and all it
    has paid (`GET /statistics` counts by the grant's month, not by when it was paid)."""
    if from_date and to_date and from_date > to_date:
        raise Unprocessable("`from` must not be after `to`.")
    return await service.paid_statistics(
        session, from_date=from_date, to_date=to_date, program_code=program_code, fund_id=fund_id
    )
