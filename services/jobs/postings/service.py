"""The rules of a posting's life (create, edit, publish, close, expire, take a hire) and of
applications; events to the outbox; never commits. Today's date comes from the caller."""

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs import events
from services.jobs.db import add_or_conflict, found
from services.jobs.employers.tables import Employer
from services.jobs.errors import (
    InvalidState,
    NotYourOrganisation,
    PostingNotFound,
    PostingNotOpen,
    RuleViolation,
)
from services.jobs.postings import repository as repo
from services.jobs.postings.schemas import (
    ApplicationCreate,
    PostingCreate,
    PostingUpdate,
    check_salary_range,
)
from services.jobs.postings.tables import Application, Posting
from services.jobs.workers.tables import Worker
from shared.db import utcnow
from shared.errors import Conflict
from shared.events import add_event
from shared.identity import Identity


def effective_status(posting: Posting, today: date) -> str:
    if posting.status == "open" and posting.valid_through < today:
        return "expired"
    return posting.status


def _check_valid_through(valid_through: date, today: date) -> None:
    if valid_through < today:
        raise RuleViolation(
            f"valid_through ({valid_through}) is in the past; today is {today}.",
            field="valid_through",
        )


async def create_posting(
    session: AsyncSession, employer: Employer, data: PostingCreate, today: date
) -> Posting:
    _check_valid_through(data.valid_through, today)
    posting = Posting(**data.model_dump(), employer_id=employer.id, status="draft")
    session.add(posting)
    await session.flush()
    return posting


def ensure_owner(posting: Posting, partner: Employer) -> None:
    if posting.employer_id != partner.id:
        raise NotYourOrganisation("posting")


async def update_posting(
    session: AsyncSession, posting: Posting, data: PostingUpdate, today: date
) -> Posting:
    status = effective_status(posting, today)
    if status not in ("draft", "open"):
        raise InvalidState(
            f"The posting is {status}; only drafts and open postings can be edited.",
            posting_status=status,
        )
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    low = changes.get("salary_min_fen", posting.salary_min_fen)
    high = changes.get("salary_max_fen", posting.salary_max_fen)
    try:
        check_salary_range(low, high)
    except ValueError as exc:
        raise RuleViolation(
            f"{exc} (after this change the range would be {low}–{high}).", field="salary_min_fen"
        ) from None
    openings = changes.get("openings", posting.openings)
    if openings < posting.hires:
        raise RuleViolation(
            f"openings cannot be fewer than the {posting.hires} hires already made.",
            field="openings",
        )
    if "valid_through" in changes:
        _check_valid_through(changes["valid_through"], today)
    for key, value in changes.items():
        setattr(posting, key, value)
    posting.updated_at = utcnow()
    filled = posting.status == "open" and posting.hires >= posting.openings
    if filled:  # openings lowered to the hires already made
        posting.status = "filled"
        posting.closed_at = posting.updated_at
    session.add(posting)
    await session.flush()
    if filled:
        await add_event(
            session,
            events.PostingClosed(
                posting_id=posting.id, employer_id=posting.employer_id, status="filled"
            ),
        )
    return posting


async def publish_posting(session: AsyncSession, posting: Posting, today: date) -> Posting:
    if posting.status != "draft":
        raise InvalidState(
            f"The posting is {effective_status(posting, today)}; only a draft can be published.",
            posting_status=posting.status,
        )
    _check_valid_through(posting.valid_through, today)
    now = utcnow()
    posting.status = "open"
    posting.published_at = now
    posting.published_on = today
    posting.updated_at = now
    session.add(posting)
    await session.flush()
    await add_event(
        session,
        events.PostingPublished(
            posting_id=posting.id,
            employer_id=posting.employer_id,
            title=posting.title,
            category=posting.category,
            openings=posting.openings,
            salary_min_fen=posting.salary_min_fen,
            salary_max_fen=posting.salary_max_fen,
            district=posting.district,
            valid_through=posting.valid_through,
        ),
    )
    return posting


async def close_posting(session: AsyncSession, posting: Posting, today: date) -> Posting:
    status = effective_status(posting, today)
    if status != "open":
        raise InvalidState(
            f"The posting is {status}; only an open posting can be closed.", posting_status=status
        )
    now = utcnow()
    posting.status = "closed"
    posting.closed_at = now
    posting.updated_at = now
    session.add(posting)
    await session.flush()
    await add_event(
        session,
        events.PostingClosed(
            posting_id=posting.id, employer_id=posting.employer_id, status="closed"
        ),
    )
    return posting


async def expire_overdue_postings(session: AsyncSession, today: date) -> int:
    """Open postings past their valid-through date close themselves as expired."""
    moved = await repo.expire_overdue(session, today)
    for posting_id, employer_id in moved:
        await add_event(
            session,
            events.PostingClosed(posting_id=posting_id, employer_id=employer_id, status="expired"),
        )
    return len(moved)


async def apply(
    session: AsyncSession,
    posting: Posting,
    worker: Worker,
    data: ApplicationCreate,
    actor: Identity,
    today: date,
) -> Application:
    status = effective_status(posting, today)
    if status != "open":
        raise PostingNotOpen(status)
    if await repo.find_application(session, posting.id, worker.id) is not None:
        raise Conflict("This worker has already applied to this posting.")
    application = Application(
        posting_id=posting.id, worker_id=worker.id, note=data.note, created_by=actor.actor
    )
    await add_or_conflict(
        session, application, Conflict("This worker has already applied to this posting.")
    )
    return application


async def get_posting(session: AsyncSession, posting_id: uuid.UUID) -> Posting:
    """The posting with this id, or ``PostingNotFound`` (placements load postings here)."""
    return found(await repo.get_posting(session, posting_id), PostingNotFound, posting_id)


async def take_hire(session: AsyncSession, posting: Posting, today: date) -> None:
    """Count a hire against the open posting (the last opening turns it ``filled``, with its
    ``jobs.posting.closed``); a posting that takes no more hires is ``PostingNotOpen``."""
    status = effective_status(posting, today)
    if status != "open":
        raise PostingNotOpen(status)
    taken = await repo.take_hire(session, posting.id, today)
    if taken is None:
        await session.refresh(posting)
        raise PostingNotOpen(effective_status(posting, today))
    if taken.status == "filled":
        await add_event(
            session,
            events.PostingClosed(
                posting_id=posting.id, employer_id=posting.employer_id, status="filled"
            ),
        )


async def mark_hired(session: AsyncSession, posting: Posting, worker: Worker) -> None:
    """The worker's application to the posting, if any, is now ``hired``."""
    application = await repo.find_application(session, posting.id, worker.id)
    if application is not None:
        application.status = "hired"
        session.add(application)
