"""Every query of postings and applications: the public search with its keyset cursor, the
conditional hire, the expiry. Functions take the session first and never commit."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.db import like
from services.jobs.employers.tables import Employer
from services.jobs.postings.tables import Application, Posting
from services.jobs.workers.tables import Worker
from shared.db import columns
from shared.errors import Unprocessable
from shared.pagination import BAD_CURSOR, Keyset, decode_cursor, encode_cursor, keyset_page

E = columns(Employer)
W = columns(Worker)
P = columns(Posting)
A = columns(Application)
APPLICATIONS = Keyset(A.created_at, A.id, newest_first=True)


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


@dataclass(frozen=True)
class SortedKeyset(Keyset):
    """The search's orders: the kit's keyset on a sort column that need not be a time (a salary,
    a date), with the sort's name in the cursor (``{"t": key, "id": id, "s": sort}``) so that a
    cursor of one order is refused by another instead of skipping postings."""

    sort: str = "newest"
    parse_key: Callable[[Any], Any] = datetime.fromisoformat

    def after(self, cursor: str | None) -> Any | None:
        value = decode_cursor(cursor)
        if value is None:
            return None
        try:
            if value.get("s") != self.sort:
                raise ValueError("cursor of another sort order")
            key, ident = self.parse_key(value["t"]), self.parse_id(value["id"])
        except (KeyError, TypeError, ValueError):
            raise Unprocessable(BAD_CURSOR) from None
        if self.newest_first:
            return or_(self.time < key, and_(self.time == key, self.ident < ident))
        return or_(self.time > key, and_(self.time == key, self.ident > ident))

    def cursor_after(self, item: Any) -> str:
        key = getattr(item, self.time.key)
        return encode_cursor(
            {
                "t": key.isoformat() if hasattr(key, "isoformat") else key,
                "id": str(getattr(item, self.ident.key)),
                "s": self.sort,
            }
        )


def _aware_time(raw: Any) -> datetime:
    value = datetime.fromisoformat(raw)
    if value.tzinfo is None:
        raise ValueError("a cursor's time carries its zone")
    return value


def _amount(raw: Any) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise ValueError("not an integer")
    return raw


SORTS: dict[str, SortedKeyset] = {
    # the newest first, the best paid first, the soonest closing first; the id breaks ties
    "newest": SortedKeyset(P.created_at, P.id, True, sort="newest", parse_key=_aware_time),
    "salary_desc": SortedKeyset(
        P.salary_max_fen, P.id, True, sort="salary_desc", parse_key=_amount
    ),
    "valid_through": SortedKeyset(
        P.valid_through, P.id, False, sort="valid_through", parse_key=date.fromisoformat
    ),
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


def _filtered(query: Any, flt: PostingFilter) -> Any:
    """The search's filters (besides the statuses)."""
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
        pattern = like(flt.keyword)
        query = query.where(
            or_(
                P.title.ilike(pattern, escape="\\"),
                P.description.ilike(pattern, escape="\\"),
                P.requirements.ilike(pattern, escape="\\"),
            )
        )
    return query


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
    query = _filtered(query, flt)
    rows, next_cursor = await keyset_page(
        session, query, SORTS[sort], limit=limit, cursor=cursor, rows=True
    )
    return [(r[0], r[1]) for r in rows], next_cursor


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
    rows, next_cursor = await keyset_page(
        session, query, APPLICATIONS, limit=limit, cursor=cursor, rows=True
    )
    return [(r[0], r[1]) for r in rows], next_cursor
