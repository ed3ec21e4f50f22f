"""The queries behind the program's figures. A report reads every feature's tables (read only);
functions take the session first and never commit."""

import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.employers.tables import Employer
from services.jobs.fairs.tables import JobFair
from services.jobs.placements.tables import Confirmation, Placement, is_current_confirmation
from services.jobs.postings.tables import Posting
from services.jobs.trainings.tables import TrainingAttendee, TrainingSession
from services.jobs.workers.tables import Worker
from shared.db import columns

P = columns(Posting)
W = columns(Worker)
JF = columns(JobFair)
TS = columns(TrainingSession)
TA = columns(TrainingAttendee)
PL = columns(Placement)
C = columns(Confirmation)
E = columns(Employer)
CHINA = timezone(timedelta(hours=8))
WORKSHOP = "workshop"


def between(column: Any, start: Any, end: Any) -> list[Any]:
    """The conditions of a period (either end may be open)."""
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column <= end)
    return conditions


async def posting_totals(
    session: AsyncSession, start: date | None, end: date | None
) -> tuple[int, int]:
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(P.openings), 0)).where(
                P.published_on.is_not(None),
                *between(P.published_on, start, end),
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def fairs_held(
    session: AsyncSession, start: date | None, end: date, township: str | None
) -> int:
    query = select(func.count()).select_from(JobFair).where(*between(JF.held_on, start, end))
    if township:
        query = query.where(JF.township == township)
    return int(await session.scalar(query) or 0)


async def trainings_held(
    session: AsyncSession, start: date | None, end: date, township: str | None
) -> int:
    query = (
        select(func.count()).select_from(TrainingSession).where(*between(TS.starts_on, start, end))
    )
    if township:
        query = query.where(TS.township == township)
    return int(await session.scalar(query) or 0)


async def people_trained(
    session: AsyncSession, start: date | None, end: date | None, township: str | None
) -> tuple[int, int]:
    query = (
        select(TA.worker_id, W.poor_household)
        .join(Worker, W.id == TA.worker_id)
        .where(
            TA.completed_on.is_not(None),
            *between(TA.completed_on, start, end),
        )
        .distinct()
    )
    if township:
        query = query.where(W.township == township)
    rows = (await session.execute(query)).all()
    return len(rows), sum(1 for r in rows if r[1])


async def placement_totals(
    session: AsyncSession, start: date | None, end: date | None, township: str | None
) -> tuple[int, int]:
    query = select(func.count(), func.count(case((PL.poor_household, 1)))).where(
        *between(PL.start_date, start, end)
    )
    if township:
        query = query.where(PL.township == township)
    row = (await session.execute(query)).one()
    return int(row[0]), int(row[1])


async def current_confirmed_months(
    session: AsyncSession, last_month: str | None, township: str | None
) -> list[tuple[uuid.UUID, uuid.UUID, bool, str, int]]:
    """(placement id, worker id, poor household, month, wage paid) of every month that counts:
    the current record of each month, unless a correction set its wage to 0 (not worked)."""
    query = (
        select(
            PL.id,
            PL.worker_id,
            PL.poor_household,
            C.month,
            C.wage_paid_fen,
        )
        .join(Placement, PL.id == C.placement_id)
        .where(is_current_confirmation(), C.wage_paid_fen > 0)
    )
    if last_month is not None:
        query = query.where(C.month <= last_month)
    if township:
        query = query.where(PL.township == township)
    return [(r[0], r[1], r[2], r[3], r[4]) for r in (await session.execute(query)).all()]


async def workshops_registered(
    session: AsyncSession, end: date | None, township: str | None
) -> int:
    """Workshops (扶贫车间) registered on or before ``end`` (China date), in ``township``."""
    query = select(func.count()).select_from(Employer).where(E.kind == WORKSHOP)
    if end is not None:
        next_day = datetime.combine(end + timedelta(days=1), time(), tzinfo=CHINA)
        query = query.where(E.created_at < next_day.astimezone(UTC))
    if township:
        query = query.where(E.location == township)
    return int(await session.scalar(query) or 0)


async def workshop_employment(
    session: AsyncSession, start: date | None, end: date, township: str | None
) -> tuple[int, int, int]:
    """(workshops employing, workers, registered-poor workers) of placements at workshops that
    were active at some day of the period: started by its end, not ended before its start."""
    conditions = [PL.employer_kind == WORKSHOP, PL.start_date <= end]
    if start is not None:
        conditions.append((PL.end_date.is_(None)) | (PL.end_date >= start))
    if township:
        # A workshop is in a Weng'an township: its own location, not the worker's home.
        conditions.append(E.location == township)
    query = (
        select(
            func.count(func.distinct(PL.employer_id)),
            func.count(func.distinct(PL.worker_id)),
            func.count(func.distinct(case((PL.poor_household, PL.worker_id)))),
        )
        .select_from(Placement)
        .join(Employer, E.id == PL.employer_id)
        .where(*conditions)
    )
    row = (await session.execute(query)).one()
    return int(row[0]), int(row[1]), int(row[2])
