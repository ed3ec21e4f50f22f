"""Repository of the public notice: applications in notice, and what the notice shows of
them, read set-based (a page runs the same statements whatever its size)."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.eligibility.tables import Placement, Worker
from services.subsidies.programs.tables import Program
from services.subsidies.queries import AL, EM, PL, PR, WK, A
from services.subsidies.review.domain import AppState
from services.subsidies.review.tables import Application, ApplicationLine
from shared.pagination import Keyset, keyset_page

# Oldest approval first: the order a notice board is posted in.
BY_APPROVAL = Keyset(A.approved_at, A.id)


def _in_notice(now: datetime, program_code: str | None, township: str | None) -> list[Any]:
    """In notice and not yet past its end (an application whose notice ended is no longer on
    the board, even before the sweep makes it payable)."""
    conditions = [A.state == AppState.in_notice.value, A.notice_ends_at > now]
    if program_code:
        conditions.append(A.program_code == program_code)
    if township:
        conditions.append(A.township == township)
    return conditions


async def notices_page(
    session: AsyncSession,
    *,
    now: datetime,
    program_code: str | None,
    township: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    """(application, program name) rows of one page."""
    query = (
        select(Application, PR.name)
        .join(Program, PR.id == A.program_id)
        .where(*_in_notice(now, program_code, township))
    )
    return await keyset_page(session, query, BY_APPROVAL, limit=limit, cursor=cursor, rows=True)


async def count_notices(
    session: AsyncSession, *, now: datetime, program_code: str | None, township: str | None
) -> int:
    query = select(func.count(A.id)).where(*_in_notice(now, program_code, township))
    return int(await session.scalar(query) or 0)


async def people_of(session: AsyncSession, application_ids: Sequence[uuid.UUID]) -> list[Any]:
    """Each grant line of these applications with its worker's masks (if known) and the
    township of its placement, in one query."""
    if not application_ids:
        return []
    query = (
        select(
            AL.application_id,
            AL.month,
            AL.amount_fen,
            WK.name_masked,
            WK.national_id_masked,
            func.coalesce(PL.township, WK.township).label("township"),
        )
        .select_from(ApplicationLine)
        .outerjoin(Worker, WK.worker_id == AL.worker_id)
        .outerjoin(Placement, PL.placement_id == AL.placement_id)
        .where(AL.application_id.in_(list(application_ids)))
        .order_by(AL.application_id, AL.month, AL.worker_id)
    )
    return list((await session.execute(query)).all())


async def employer_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(EM.employer_id, EM.name).where(EM.employer_id.in_(ids)))
    return {employer_id: name for employer_id, name in rows.all()}


async def worker_masks(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    if not ids:
        return {}
    rows = await session.execute(select(WK.worker_id, WK.name_masked).where(WK.worker_id.in_(ids)))
    return {worker_id: name for worker_id, name in rows.all()}
