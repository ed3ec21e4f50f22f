"""The program's figures for a period and township, and the rule for stable employment."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.months import month_of, previous_month
from services.jobs.statistics import repository as repo
from services.jobs.statistics.schemas import Statistics


def _stable_workers(
    rows: list[tuple[uuid.UUID, uuid.UUID, bool, str, int]],
    first_month: str | None,
    last_month: str,
    needed: int,
) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """Workers with ``needed`` consecutive confirmed months on one placement, the run reaching
    a month inside the period."""
    months: dict[uuid.UUID, set[str]] = {}
    owner: dict[uuid.UUID, tuple[uuid.UUID, bool]] = {}
    for placement_id, worker_id, poor, month, _wage in rows:
        months.setdefault(placement_id, set()).add(month)
        owner[placement_id] = (worker_id, poor)
    stable: set[uuid.UUID] = set()
    stable_poor: set[uuid.UUID] = set()
    for placement_id, confirmed in months.items():
        for month in confirmed:
            if month > last_month or (first_month is not None and month < first_month):
                continue
            run, probe = 1, previous_month(month)
            while run < needed and probe in confirmed:
                run, probe = run + 1, previous_month(probe)
            if run >= needed:
                worker_id, poor = owner[placement_id]
                stable.add(worker_id)
                if poor:
                    stable_poor.add(worker_id)
                break
    return stable, stable_poor


async def statistics(
    session: AsyncSession,
    *,
    start: date | None,
    end: date | None,
    township: str | None,
    stable_months: int,
    today: date,
) -> Statistics:
    held_until = min(end, today) if end is not None else today
    postings, jobs_offered = await repo.posting_totals(session, start, end)
    trained, trained_poor = await repo.people_trained(session, start, end, township)
    placements, placements_poor = await repo.placement_totals(session, start, end, township)
    first_month = month_of(start) if start else None
    last_month = month_of(held_until)
    rows = await repo.current_confirmed_months(session, last_month, township)
    in_period = [r for r in rows if first_month is None or r[3] >= first_month]
    stable, stable_poor = _stable_workers(rows, first_month, last_month, stable_months)
    workshops_employing, workshop_workers, workshop_workers_poor = await repo.workshop_employment(
        session, start, held_until, township
    )
    values: dict[str, Any] = {
        "period_from": start,
        "period_to": end,
        "township": township,
        "stable_months": stable_months,
        "jobs_offered": jobs_offered,
        "postings": postings,
        "job_fairs_held": await repo.fairs_held(session, start, held_until, township),
        "training_sessions": await repo.trainings_held(session, start, held_until, township),
        "people_trained": trained,
        "people_trained_poor": trained_poor,
        "placements": placements,
        "placements_poor": placements_poor,
        "workers_in_stable_employment": len(stable),
        "workers_in_stable_employment_poor": len(stable_poor),
        "total_wages_paid_fen": sum(r[4] for r in in_period),
        "total_wages_paid_poor_fen": sum(r[4] for r in in_period if r[2]),
        "workshops": await repo.workshops_registered(session, end, township),
        "workshops_employing": workshops_employing,
        "workshop_workers": workshop_workers,
        "workshop_workers_poor": workshop_workers_poor,
    }
    return Statistics(**values)
