"""Business rules of the jobs service; writes events to the outbox; never commits.

Every function takes today's date from the caller (``app.state.clock``), so rules about "the
future" and "expired" are decided on one controllable clock.
"""

import uuid
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs import events
from services.jobs import repository as repo
from services.jobs.errors import (
    DuplicateEmployer,
    DuplicateWorker,
    EmployerNotFound,
    InvalidState,
    NotYourOrganisation,
    PostingNotFound,
    PostingNotOpen,
    RuleViolation,
)
from services.jobs.models import (
    Application,
    ApplicationCreate,
    CompletionCreate,
    Confirmation,
    ConfirmationCreate,
    Employer,
    EmployerCreate,
    EmployerUpdate,
    JobFair,
    JobFairAttendee,
    JobFairCreate,
    JobFairEmployer,
    Placement,
    PlacementCreate,
    PlacementEnd,
    Posting,
    PostingCreate,
    PostingUpdate,
    Statistics,
    TrainingAttendee,
    TrainingCreate,
    TrainingSession,
    Worker,
    WorkerCreate,
    check_salary_range,
)
from shared.db import utcnow
from shared.errors import Conflict, Forbidden
from shared.events import Event, add_event
from shared.identity import Identity
from shared.pii import PiiVault, mask_national_id, mask_phone

SOURCE = "jobs"
ID_CONTEXT = "worker.national_id"
PHONE_CONTEXT = "worker.phone"


async def publish(session: AsyncSession, event: Event) -> None:
    await add_event(session, event, source=SOURCE)


async def _add_or_conflict(session: AsyncSession, obj: Any, conflict: Exception) -> None:
    """Add and flush inside a savepoint: a unique constraint hit (a concurrent twin of this
    request) becomes the given domain error instead of a generic 409. The object is added inside
    the savepoint so that its rollback also forgets the object."""
    try:
        async with session.begin_nested():
            session.add(obj)
            await session.flush()
    except IntegrityError:
        raise conflict from None


# ----------------------------------------------------------------------------------- months


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + 1:04d}-01" if mon == 12 else f"{year:04d}-{mon + 1:02d}"


def previous_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if mon == 1 else f"{year:04d}-{mon - 1:02d}"


# -------------------------------------------------------------------------------- employers


async def register_employer(
    session: AsyncSession, data: EmployerCreate, actor: Identity
) -> Employer:
    if await repo.find_employer(session, data.kind, data.name) is not None:
        raise DuplicateEmployer(data.kind)
    employer = Employer(**data.model_dump(), created_by=actor.actor)
    await _add_or_conflict(session, employer, DuplicateEmployer(data.kind))
    await publish(
        session,
        events.EmployerRegistered(
            employer_id=employer.id, kind=data.kind, name=employer.name, location=employer.location
        ),
    )
    return employer


async def update_employer(
    session: AsyncSession, employer: Employer, data: EmployerUpdate
) -> Employer:
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "name" in changes and changes["name"] != employer.name:
        other = await repo.find_employer(session, employer.kind, changes["name"])
        if other is not None:
            raise DuplicateEmployer(employer.kind)
    for key, value in changes.items():
        setattr(employer, key, value)
    employer.updated_at = utcnow()
    await _add_or_conflict(session, employer, DuplicateEmployer(employer.kind))
    return employer


# --------------------------------------------------------------------------------- postings


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
        await publish(
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
    await publish(
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
    await publish(
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
        await publish(
            session,
            events.PostingClosed(posting_id=posting_id, employer_id=employer_id, status="expired"),
        )
    return len(moved)


# ---------------------------------------------------------------------------------- workers


async def register_worker(
    session: AsyncSession, vault: PiiVault, data: WorkerCreate, actor: Identity, today: date
) -> Worker:
    id_hash = vault.lookup_hash(data.national_id, context=ID_CONTEXT)
    existing = await repo.find_worker_by_id_hash(session, id_hash)
    if existing is not None:
        raise DuplicateWorker(existing.id)
    worker = Worker(
        name=data.name,
        township=data.township,
        poor_household=data.poor_household,
        skills=list(data.skills),
        national_id_encrypted=vault.encrypt(data.national_id, context=ID_CONTEXT),
        national_id_hash=id_hash,
        national_id_masked=mask_national_id(data.national_id),
        phone_encrypted=vault.encrypt(data.phone, context=PHONE_CONTEXT) if data.phone else None,
        phone_hash=vault.lookup_hash(data.phone, context=PHONE_CONTEXT) if data.phone else None,
        phone_masked=mask_phone(data.phone) if data.phone else None,
        registered_on=today,
        created_by=actor.actor,
    )
    try:
        async with session.begin_nested():
            session.add(worker)
            await session.flush()
    except IntegrityError:
        # A concurrent registration of the same person committed first.
        twin = await repo.find_worker_by_id_hash(session, id_hash)
        if twin is None:
            raise Conflict("The worker could not be registered; retry.") from None
        raise DuplicateWorker(twin.id) from None
    await publish(
        session,
        events.WorkerRegistered(
            worker_id=worker.id,
            township=worker.township,
            poor_household=worker.poor_household,
            registered_on=today,
        ),
    )
    return worker


# ----------------------------------------------------------------------------- applications


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
    await _add_or_conflict(
        session, application, Conflict("This worker has already applied to this posting.")
    )
    return application


# ------------------------------------------------------------------------------- placements


async def start_placement(
    session: AsyncSession,
    data: PlacementCreate,
    worker: Worker,
    actor: Identity,
    today: date,
    *,
    partner: Employer | None,
) -> Placement:
    """A hire. A partner hires on its own open posting (the hire counts against the openings);
    labour-bureau staff record placements in workshops and dedicated posts."""
    posting: Posting | None = None
    if partner is not None:
        if data.employer_id is not None:
            raise RuleViolation(
                "employer_id is taken from your credential; leave it out.", field="employer_id"
            )
        if data.posting_id is None:
            raise RuleViolation(
                "posting_id is required: a partner hires on one of its own postings.",
                field="posting_id",
            )
        posting = await repo.get_posting(session, data.posting_id)
        if posting is None:
            raise PostingNotFound(data.posting_id)
        ensure_owner(posting, partner)
        employer = partner
    else:
        if data.posting_id is not None:
            raise RuleViolation(
                "Placements on postings are recorded by the partner that posted "
                "them; leave posting_id out.",
                field="posting_id",
            )
        if data.employer_id is None:
            raise RuleViolation(
                "employer_id is required: the workshop or dedicated-post unit "
                "the worker is placed with.",
                field="employer_id",
            )
        found = await repo.get_employer(session, data.employer_id)
        if found is None:
            raise EmployerNotFound(data.employer_id)
        if found.kind == "haizhu_partner":
            raise RuleViolation(
                "Hires by Haizhu partners are recorded by the partner on its "
                "posting; staff record workshop and dedicated-post placements.",
                field="employer_id",
            )
        employer = found

    duplicate = Conflict("This worker already has an active placement with this employer.")
    if await repo.active_placement(session, worker.id, employer.id) is not None:
        raise duplicate

    if posting is not None:
        status = effective_status(posting, today)
        if status != "open":
            raise PostingNotOpen(status)
        taken = await repo.take_hire(session, posting.id, today)
        if taken is None:
            await session.refresh(posting)
            raise PostingNotOpen(effective_status(posting, today))
        if taken.status == "filled":
            await publish(
                session,
                events.PostingClosed(
                    posting_id=posting.id, employer_id=employer.id, status="filled"
                ),
            )

    placement = Placement(
        worker_id=worker.id,
        employer_id=employer.id,
        employer_kind=employer.kind,
        posting_id=posting.id if posting else None,
        township=worker.township,
        poor_household=worker.poor_household,
        start_date=data.start_date,
        monthly_wage_fen=data.monthly_wage_fen,
        note=data.note,
        created_by=actor.actor,
    )
    await _add_or_conflict(session, placement, duplicate)
    if posting is not None:
        application = await repo.find_application(session, posting.id, worker.id)
        if application is not None:
            application.status = "hired"
            session.add(application)
    await publish(
        session,
        events.PlacementStarted(
            placement_id=placement.id,
            worker_id=worker.id,
            employer_id=employer.id,
            employer_kind=employer.kind,  # type: ignore[arg-type]
            posting_id=placement.posting_id,
            poor_household=placement.poor_household,
            township=placement.township,
            start_date=placement.start_date,
            monthly_wage_fen=placement.monthly_wage_fen,
        ),
    )
    return placement


def ensure_can_record(placement: Placement, actor: Identity) -> None:
    """Partners act on their own placements only; staff on workshops and dedicated posts (a
    partner's hires are confirmed by the partner, who pays the wage)."""
    if actor.role == "partner":
        if str(placement.employer_id) != actor.subject_id:
            raise NotYourOrganisation("placement")
    elif placement.employer_kind == "haizhu_partner":
        raise Forbidden(
            "This placement is with a Haizhu partner; the partner records its "
            "confirmations and its end."
        )


def next_month_to_confirm(placement: Placement, current: dict[str, Confirmation]) -> str | None:
    candidate = next_month(max(current)) if current else month_of(placement.start_date)
    if placement.end_date is not None and candidate > month_of(placement.end_date):
        return None
    return candidate


async def confirm_month(
    session: AsyncSession,
    placement: Placement,
    data: ConfirmationCreate,
    actor: Identity,
    today: date,
) -> Confirmation:
    placement = await repo.lock_placement(session, placement.id)
    current = (await repo.current_confirmations(session, [placement.id]))[placement.id]
    supersedes: uuid.UUID | None = None
    if data.corrects is not None:
        target = await repo.get_confirmation(session, data.corrects)
        if target is None or target.placement_id != placement.id:
            raise RuleViolation(
                "corrects does not name a confirmation of this placement.", field="corrects"
            )
        if target.month != data.month:
            raise RuleViolation(
                f"The record being corrected is for {target.month}, not {data.month}.",
                field="month",
            )
        latest = current.get(target.month)
        if latest is None or latest.id != target.id:
            raise InvalidState(
                "That record was already corrected; correct the latest record "
                "of the month instead.",
                latest_confirmation_id=str(latest.id) if latest else None,
            )
        supersedes = target.id
    else:
        start_month = month_of(placement.start_date)
        if data.month < start_month:
            raise RuleViolation(
                f"{data.month} is before the placement started ({start_month}).", field="month"
            )
        if data.month > month_of(today):
            raise RuleViolation(
                f"{data.month} is in the future; a month can be confirmed from its first day on.",
                field="month",
            )
        if placement.end_date is not None and data.month > month_of(placement.end_date):
            raise RuleViolation(
                f"The placement ended on {placement.end_date}; {data.month} cannot be confirmed.",
                field="month",
            )
        if data.month in current:
            raise InvalidState(
                f"{data.month} is already confirmed; to correct it send corrects "
                "with the id of its record.",
                confirmation_id=str(current[data.month].id),
            )
        expected = next_month_to_confirm(placement, current)
        if data.month != expected:
            raise RuleViolation(
                f"Months are confirmed in order, without gaps; the next month to "
                f"confirm is {expected}.",
                field="month",
                next_month_to_confirm=expected,
            )
    confirmation = Confirmation(
        placement_id=placement.id,
        month=data.month,
        wage_paid_fen=data.wage_paid_fen,
        supersedes=supersedes,
        note=data.note,
        created_by=actor.actor,
    )
    await _add_or_conflict(
        session,
        confirmation,
        Conflict(
            f"{data.month} was confirmed or corrected by another request at the "
            "same time; reload the placement and retry."
        ),
    )
    await publish(
        session,
        events.PlacementMonthConfirmed(
            confirmation_id=confirmation.id,
            placement_id=placement.id,
            worker_id=placement.worker_id,
            employer_id=placement.employer_id,
            employer_kind=placement.employer_kind,  # type: ignore[arg-type]
            month=confirmation.month,
            wage_paid_fen=confirmation.wage_paid_fen,
            supersedes=supersedes,
        ),
    )
    return confirmation


async def end_placement(
    session: AsyncSession, placement: Placement, data: PlacementEnd, today: date
) -> Placement:
    placement = await repo.lock_placement(session, placement.id)
    if placement.status != "active":
        raise InvalidState(f"The placement already ended on {placement.end_date}.")
    if data.end_date < placement.start_date:
        raise RuleViolation(
            f"end_date is before the start date ({placement.start_date}).", field="end_date"
        )
    if data.end_date > today:
        raise RuleViolation(f"end_date is in the future; today is {today}.", field="end_date")
    current = (await repo.current_confirmations(session, [placement.id]))[placement.id]
    if current and month_of(data.end_date) < max(current):
        raise RuleViolation(
            f"Employment is confirmed up to {max(current)}; the end date cannot "
            "be earlier than that month.",
            field="end_date",
        )
    placement.status = "ended"
    placement.end_date = data.end_date
    placement.end_reason = data.reason
    placement.end_note = data.note
    session.add(placement)
    await session.flush()
    await publish(
        session,
        events.PlacementEnded(
            placement_id=placement.id,
            worker_id=placement.worker_id,
            employer_id=placement.employer_id,
            end_date=data.end_date,
            reason=data.reason,
        ),
    )
    return placement


# -------------------------------------------------------------------------------- job fairs


async def create_fair(session: AsyncSession, data: JobFairCreate, actor: Identity) -> JobFair:
    fair = JobFair(**data.model_dump(), created_by=actor.actor)
    session.add(fair)
    await session.flush()
    return fair


async def add_fair_employer(session: AsyncSession, fair: JobFair, employer_id: uuid.UUID) -> None:
    employer = await repo.get_employer(session, employer_id)
    if employer is None:
        raise EmployerNotFound(employer_id)
    if await repo.fair_has_employer(session, fair.id, employer_id):
        raise Conflict("This employer already takes part in the job fair.")
    await _add_or_conflict(
        session,
        JobFairEmployer(fair_id=fair.id, employer_id=employer_id),
        Conflict("This employer already takes part in the job fair."),
    )


async def add_fair_attendee(
    session: AsyncSession, fair: JobFair, worker: Worker, today: date
) -> None:
    if fair.held_on > today:
        raise RuleViolation(
            f"The job fair is on {fair.held_on}; attendance is recorded on or after that day."
        )
    if await repo.fair_has_attendee(session, fair.id, worker.id):
        raise Conflict("This worker's attendance is already recorded.")
    await _add_or_conflict(
        session,
        JobFairAttendee(fair_id=fair.id, worker_id=worker.id),
        Conflict("This worker's attendance is already recorded."),
    )


# -------------------------------------------------------------------------------- trainings


async def create_training(
    session: AsyncSession, data: TrainingCreate, actor: Identity
) -> TrainingSession:
    training = TrainingSession(**data.model_dump(), created_by=actor.actor)
    session.add(training)
    await session.flush()
    return training


async def add_training_attendee(
    session: AsyncSession, training: TrainingSession, worker: Worker, today: date
) -> TrainingAttendee:
    if training.starts_on > today:
        raise RuleViolation(
            f"The session starts on {training.starts_on}; attendance is "
            "recorded once it has started."
        )
    if await repo.get_training_attendee(session, training.id, worker.id) is not None:
        raise Conflict("This worker's attendance is already recorded.")
    attendee = TrainingAttendee(session_id=training.id, worker_id=worker.id)
    await _add_or_conflict(
        session, attendee, Conflict("This worker's attendance is already recorded.")
    )
    return attendee


async def complete_training(
    session: AsyncSession,
    training: TrainingSession,
    worker: Worker,
    data: CompletionCreate,
    today: date,
) -> TrainingAttendee:
    attendee = await repo.get_training_attendee(session, training.id, worker.id)
    if attendee is None:
        raise InvalidState(
            "This worker has no attendance recorded for the session; record attendance first."
        )
    if attendee.completed_on is not None:
        raise Conflict(f"This worker already completed the session on {attendee.completed_on}.")
    if data.completed_on < training.starts_on:
        raise RuleViolation(
            f"completed_on is before the session started ({training.starts_on}).",
            field="completed_on",
        )
    if data.completed_on > today:
        raise RuleViolation(
            f"completed_on is in the future; today is {today}.", field="completed_on"
        )
    attendee.completed_on = data.completed_on
    session.add(attendee)
    await session.flush()
    await publish(
        session,
        events.TrainingCompleted(
            session_id=training.id,
            worker_id=worker.id,
            poor_household=worker.poor_household,
            completed_on=data.completed_on,
        ),
    )
    return attendee


# ------------------------------------------------------------------------------- statistics


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
    }
    return Statistics(**values)
