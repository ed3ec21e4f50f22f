"""The program's figures for a period and township."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from services.jobs.base import NO_NUL
from services.jobs.dependencies import JobsRuntime, StaffReader
from services.jobs.statistics import service
from services.jobs.statistics.schemas import Statistics
from shared.db import SessionDep
from shared.errors import Unprocessable
from shared.openapi import responses
from shared.runtime import Today

router = APIRouter(prefix="/v1/jobs")


@router.get(
    "/statistics",
    response_model=Statistics,
    tags=["statistics"],
    operation_id="getJobsStatistics",
    summary="Labour-cooperation figures",
    responses=responses(401, 403, 422),
)
async def get_statistics(
    identity: StaffReader,
    session: SessionDep,
    runtime: JobsRuntime,
    today: Today,
    from_: Annotated[date | None, Query(alias="from", description="First day (inclusive).")] = None,
    to: Annotated[date | None, Query(description="Last day (inclusive).")] = None,
    township: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=NO_NUL,
            description="Worker-side figures of "
            "one Weng'an township; postings are Haizhu-side and "
            "not filtered.",
        ),
    ] = None,
) -> Statistics:
    """What the program reports: jobs offered (sum of openings of published postings), postings,
    job fairs held, training sessions, people trained (registered-poor separately), placements,
    workers in stable employment (`JOBS_STABLE_MONTHS` consecutive confirmed months, counted
    when the run reaches a month in the period), total wages paid, and poverty-alleviation
    workshops (registered by the period's end, employing during it) with the workers and
    registered-poor workers they employ, for a period and township."""
    if from_ is not None and to is not None and from_ > to:
        raise Unprocessable("from must not be after to.")
    return await service.statistics(
        session,
        start=from_,
        end=to,
        township=township,
        stable_months=runtime.settings.stable_months,
        today=today,
    )
