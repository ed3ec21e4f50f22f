"""Every query of the jobs service. Functions take the session first and never commit."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.models import (
    Application,
    Confirmation,
    Employer,
    JobFair,
    JobFairAttendee,
    JobFairEmployer,
    Placement,
    Posting,
    TrainingAttendee,
    TrainingSession,
    Worker,
)
from shared.db import columns
from shared.errors import Unprocessable
from shared.pagination import decode_cursor, encode_cursor

P = columns(Posting)
E = columns(Employer)
W = columns(Worker)
A = columns(Application)
JF = columns(JobFair)
JFE = columns(JobFairEmployer)
JFA = columns(JobFairAttendee)
TS = columns(TrainingSession)
TA = columns(TrainingAttendee)
PL = columns(Placement)
C = columns(Confirmation)

BAD_CURSOR = "The cursor is not valid for this list; start again from the first page."


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def page_by_created(
    session: AsyncSession, query: Any, entity: Any, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """Newest first, keyset on (created_at, id). Rows are returned as the query selects them;
    ``entity`` must be the first selected element."""
    after = decode_cursor(cursor)
    if after is not None:
        try:
            created = datetime.fromisoformat(after["t"])
            last_id = uuid.UUID(after["id"])
        except (KeyError, TypeError, ValueError):
            raise Unprocessable(BAD_CURSOR) from None
        query = query.where(
            or_(
                entity.created_at < created,
                and_(entity.created_at == created, entity.id < last_id),
            )
        )
    query = query.order_by(entity.created_at.desc(), entity.id.desc()).limit(limit + 1)
    rows = list((await session.execute(query)).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        next_cursor = encode_cursor({"t": last.created_at.isoformat(), "id": str(last.id)})
    return rows, next_cursor


# --------------------------------------------------------------------------------- employers


async def get_employer(session: AsyncSession, employer_id: uuid.UUID) -> Employer | None:
    return await session.get(Employer, employer_id)


async def find_employer(session: AsyncSession, kind: str, name: str) -> Employer | None:
    result = await session.execute(select(Employer).where(E.kind == kind, E.name == name))
    return result.scalar_one_or_none()


async def list_employers(
    session: AsyncSession, *, kind: str | None, limit: int, cursor: str | None
) -> tuple[list[Employer], str | None]:
    query = select(Employer)
    if kind:
        query = query.where(E.kind == kind)
    rows, next_cursor = await page_by_created(session, query, E, limit, cursor)
    return [r[0] for r in rows], next_cursor


async def employers_by_id(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Employer]:
    if not ids:
        return {}
    result = await session.execute(select(Employer).where(E.id.in_(set(ids))))
    return {e.id: e for e in result.scalars()}


# ---------------------------------------------------------------------------------- postings


async def get_posting(session: AsyncSession, posting_id: uuid.UUID) -> Posting | None:
    return await session.get(Posting, posting_id)


async def any_overdue_postings(session: AsyncSession, today: date) -> bool:
    found = await session.scalar(
        select(P.id).where(P.status == "open", P.valid_through < today).limit(1)
    )
    return found is not None


async def expire_overdue(session: AsyncSession, today: date) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Move open postings past their valid-through date to expired; return (id, employer id) of
    exactly the rows this call moved (a concurrent sweep re-checks the condition and skips them)."""
    result = await session.execute(
        update(Posting)
        .where(P.status == "open", P.valid_through < today)
        .values(status="expired")
        .returning(P.id, P.employer_id)
        .execution_options(synchronize_session=False)
    )
    return [(row[0], row[1]) for row in result.all()]


async def take_hire(session: AsyncSession, posting_id: uuid.UUID, today: date) -> Any | None:
    """Count one hire against an open posting in a single conditional UPDATE, so that concurrent
    hires can never exceed the openings (no check-then-act). The posting becomes ``filled`` with
    the last opening. Returns (hires, openings, status) or None when the posting takes no hire."""
    result = await session.execute(
        update(Posting)
        .where(
            P.id == posting_id,
            P.status == "open",
            P.valid_through >= today,
            P.hires < P.openings,
        )
        .values(
            hires=P.hires + 1,
            status=case((P.hires + 1 >= P.openings, "filled"), else_="open"),
        )
        .returning(P.hires, P.openings, P.status)
        .execution_options(synchronize_session=False)
    )
    return result.one_or_none()


@dataclass
class PostingFilter:
    statuses: Sequence[str] | None  # None: only currently open (public view)
    employer_id: uuid.UUID | None = None
    category: str | None = None
    employment_type: str | None = None
    district: str | None = None
    salary_min_fen: int | None = None
    salary_max_fen: int | None = None
    keyword: str | None = None
    housing: bool | None = None


SORTS: dict[str, tuple[str, bool]] = {
    # sort name → (column, descending)
    "newest": ("created_at", True),
    "salary_desc": ("salary_max_fen", True),
    "valid_through": ("valid_through", False),
}


def _status_condition(status: str, today: date) -> Any:
    # "Open" means open and not past valid-through; an overdue open posting reads as expired.
    if status == "open":
        return and_(P.status == "open", P.valid_through >= today)
    if status == "expired":
        return or_(
            P.status == "expired",
            and_(P.status == "open", P.valid_through < today),
        )
    return P.status == status


def _decode_sort_value(sort: str, raw: Any) -> Any:
    column = SORTS[sort][0]
    if column == "created_at":
        return datetime.fromisoformat(raw)
    if column == "valid_through":
        return date.fromisoformat(raw)
    if not isinstance(raw, int):
        raise ValueError("not an integer")
    return raw


async def list_postings(
    session: AsyncSession,
    flt: PostingFilter,
    *,
    today: date,
    sort: str,
    limit: int,
    cursor: str | None,
) -> tuple[list[tuple[Posting, Employer]], str | None]:
    query = select(Posting, Employer).join(Employer, E.id == P.employer_id)
    statuses = flt.statuses if flt.statuses is not None else ["open"]
    query = query.where(or_(*[_status_condition(s, today) for s in statuses]))
    if flt.employer_id:
        query = query.where(P.employer_id == flt.employer_id)
    if flt.category:
        query = query.where(P.category == flt.category)
    if flt.employment_type:
        query = query.where(P.employment_type == flt.employment_type)
    if flt.district:
        query = query.where(P.district == flt.district)
    if flt.salary_min_fen is not None:  # pays at least this much at the top of its range
        query = query.where(P.salary_max_fen >= flt.salary_min_fen)
    if flt.salary_max_fen is not None:
        query = query.where(P.salary_min_fen <= flt.salary_max_fen)
    if flt.housing is not None:
        query = query.where(P.housing == flt.housing)
    if flt.keyword:
        pattern = _like(flt.keyword)
        query = query.where(
            or_(
                P.title.ilike(pattern, escape="\\"),
                P.description.ilike(pattern, escape="\\"),
                P.requirements.ilike(pattern, escape="\\"),
            )
        )
    column_name, descending = SORTS[sort]
    column = getattr(Posting, column_name)
    after = decode_cursor(cursor)
    if after is not None:
        try:
            if after.get("s") != sort:
                raise ValueError("cursor of another sort order")
            key = _decode_sort_value(sort, after["k"])
            last_id = uuid.UUID(after["id"])
        except (KeyError, TypeError, ValueError):
            raise Unprocessable(BAD_CURSOR) from None
        if descending:
            query = query.where(or_(column < key, and_(column == key, P.id < last_id)))
        else:
            query = query.where(or_(column > key, and_(column == key, P.id > last_id)))
    order = [column.desc(), P.id.desc()] if descending else [column.asc(), P.id.asc()]
    rows = list((await session.execute(query.order_by(*order).limit(limit + 1))).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        value = getattr(last, column_name)
        next_cursor = encode_cursor(
            {
                "s": sort,
                "k": value.isoformat() if hasattr(value, "isoformat") else value,
                "id": str(last.id),
            }
        )
    return [(r[0], r[1]) for r in rows], next_cursor


# ----------------------------------------------------------------------------------- workers


async def get_worker(session: AsyncSession, worker_id: uuid.UUID) -> Worker | None:
    return await session.get(Worker, worker_id)


async def find_worker_by_id_hash(session: AsyncSession, id_hash: str) -> Worker | None:
    result = await session.execute(select(Worker).where(W.national_id_hash == id_hash))
    return result.scalar_one_or_none()


async def list_workers(
    session: AsyncSession,
    *,
    township: str | None,
    poor_household: bool | None,
    name: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Worker], str | None]:
    query = select(Worker)
    if township:
        query = query.where(W.township == township)
    if poor_household is not None:
        query = query.where(W.poor_household == poor_household)
    if name:
        query = query.where(W.name.ilike(_like(name), escape="\\"))
    rows, next_cursor = await page_by_created(session, query, W, limit, cursor)
    return [r[0] for r in rows], next_cursor


# ------------------------------------------------------------------------------ applications


async def find_application(
    session: AsyncSession, posting_id: uuid.UUID, worker_id: uuid.UUID
) -> Application | None:
    result = await session.execute(
        select(Application).where(A.posting_id == posting_id, A.worker_id == worker_id)
    )
    return result.scalar_one_or_none()


async def list_applications(
    session: AsyncSession, posting_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[list[tuple[Application, Worker]], str | None]:
    query = (
        select(Application, Worker)
        .join(Worker, W.id == A.worker_id)
        .where(A.posting_id == posting_id)
    )
    rows, next_cursor = await page_by_created(session, query, A, limit, cursor)
    return [(r[0], r[1]) for r in rows], next_cursor


# -------------------------------------------------------------------------------- job fairs


async def get_fair(session: AsyncSession, fair_id: uuid.UUID) -> JobFair | None:
    return await session.get(JobFair, fair_id)


async def list_fairs(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> tuple[list[JobFair], str | None]:
    rows, next_cursor = await page_by_created(session, select(JobFair), JF, limit, cursor)
    return [r[0] for r in rows], next_cursor


async def fair_employers(session: AsyncSession, fair_id: uuid.UUID) -> list[Employer]:
    result = await session.execute(
        select(Employer)
        .join(JobFairEmployer, JFE.employer_id == E.id)
        .where(JFE.fair_id == fair_id)
        .order_by(E.name)
    )
    return list(result.scalars())


async def fair_attendee_count(session: AsyncSession, fair_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(JobFairAttendee).where(JFA.fair_id == fair_id)
        )
        or 0
    )


async def fair_attendees(session: AsyncSession, fair_id: uuid.UUID) -> list[uuid.UUID]:
    result = await session.execute(
        select(JFA.worker_id).where(JFA.fair_id == fair_id).order_by(JFA.created_at)
    )
    return list(result.scalars())


async def fair_has_employer(
    session: AsyncSession, fair_id: uuid.UUID, employer_id: uuid.UUID
) -> bool:
    return await session.get(JobFairEmployer, (fair_id, employer_id)) is not None


async def fair_has_attendee(
    session: AsyncSession, fair_id: uuid.UUID, worker_id: uuid.UUID
) -> bool:
    return await session.get(JobFairAttendee, (fair_id, worker_id)) is not None


# -------------------------------------------------------------------------------- trainings


async def get_training(session: AsyncSession, session_id: uuid.UUID) -> TrainingSession | None:
    return await session.get(TrainingSession, session_id)


async def list_trainings(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> tuple[list[TrainingSession], str | None]:
    rows, next_cursor = await page_by_created(session, select(TrainingSession), TS, limit, cursor)
    return [r[0] for r in rows], next_cursor


async def get_training_attendee(
    session: AsyncSession, session_id: uuid.UUID, worker_id: uuid.UUID
) -> TrainingAttendee | None:
    return await session.get(TrainingAttendee, (session_id, worker_id))


async def training_attendees(
    session: AsyncSession, session_id: uuid.UUID
) -> list[TrainingAttendee]:
    result = await session.execute(
        select(TrainingAttendee).where(TA.session_id == session_id).order_by(TA.created_at)
    )
    return list(result.scalars())


async def training_counts(session: AsyncSession, session_id: uuid.UUID) -> tuple[int, int]:
    row = (
        await session.execute(
            select(func.count(), func.count(TA.completed_on)).where(TA.session_id == session_id)
        )
    ).one()
    return int(row[0]), int(row[1])


# ------------------------------------------------------------------------------- placements


async def get_placement(session: AsyncSession, placement_id: uuid.UUID) -> Placement | None:
    return await session.get(Placement, placement_id)


async def lock_placement(session: AsyncSession, placement_id: uuid.UUID) -> Placement:
    """Re-read the placement with a row lock, so that confirmations and the end of one
    placement are decided one at a time."""
    result = await session.execute(
        select(Placement)
        .where(PL.id == placement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one()


async def active_placement(
    session: AsyncSession, worker_id: uuid.UUID, employer_id: uuid.UUID
) -> Placement | None:
    result = await session.execute(
        select(Placement).where(
            PL.worker_id == worker_id,
            PL.employer_id == employer_id,
            PL.status == "active",
        )
    )
    return result.scalar_one_or_none()


async def list_placements(
    session: AsyncSession,
    *,
    employer_id: uuid.UUID | None,
    worker_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Placement], str | None]:
    query = select(Placement)
    if employer_id:
        query = query.where(PL.employer_id == employer_id)
    if worker_id:
        query = query.where(PL.worker_id == worker_id)
    if status:
        query = query.where(PL.status == status)
    rows, next_cursor = await page_by_created(session, query, PL, limit, cursor)
    return [r[0] for r in rows], next_cursor


def _current_confirmation_condition() -> Any:
    later = Confirmation.__table__.alias("later")  # type: ignore[attr-defined]
    return ~exists().where(later.c.supersedes == C.id)


async def get_confirmation(
    session: AsyncSession, confirmation_id: uuid.UUID
) -> Confirmation | None:
    return await session.get(Confirmation, confirmation_id)


async def confirmations(session: AsyncSession, placement_id: uuid.UUID) -> list[Confirmation]:
    """Every record of the placement, oldest first (corrections after what they correct)."""
    result = await session.execute(
        select(Confirmation).where(C.placement_id == placement_id).order_by(C.month, C.created_at)
    )
    return list(result.scalars())


async def current_confirmations(
    session: AsyncSession, placement_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Confirmation]]:
    """The record that counts for each placement and month (the latest of a correction chain)."""
    out: dict[uuid.UUID, dict[str, Confirmation]] = {pid: {} for pid in placement_ids}
    if not placement_ids:
        return out
    result = await session.execute(
        select(Confirmation).where(
            C.placement_id.in_(set(placement_ids)),
            _current_confirmation_condition(),
        )
    )
    for c in result.scalars():
        out[c.placement_id][c.month] = c
    return out


async def superseded_ids(session: AsyncSession, placement_id: uuid.UUID) -> set[uuid.UUID]:
    result = await session.execute(
        select(C.supersedes).where(
            C.placement_id == placement_id,
            C.supersedes.is_not(None),
        )
    )
    return set(result.scalars())


# ------------------------------------------------------------------------------- statistics


def _between(column: Any, start: Any, end: Any) -> list[Any]:
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
                *_between(P.published_on, start, end),
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def fairs_held(
    session: AsyncSession, start: date | None, end: date, township: str | None
) -> int:
    query = select(func.count()).select_from(JobFair).where(*_between(JF.held_on, start, end))
    if township:
        query = query.where(JF.township == township)
    return int(await session.scalar(query) or 0)


async def trainings_held(
    session: AsyncSession, start: date | None, end: date, township: str | None
) -> int:
    query = (
        select(func.count()).select_from(TrainingSession).where(*_between(TS.starts_on, start, end))
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
            *_between(TA.completed_on, start, end),
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
        *_between(PL.start_date, start, end)
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
        .where(_current_confirmation_condition(), C.wage_paid_fen > 0)
    )
    if last_month is not None:
        query = query.where(C.month <= last_month)
    if township:
        query = query.where(PL.township == township)
    return [(r[0], r[1], r[2], r[3], r[4]) for r in (await session.execute(query)).all()]
