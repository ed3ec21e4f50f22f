"""The rules of a placement: who records a hire on what, months confirmed in order without gaps,
corrections, the end; events to the outbox; never commits."""

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs import events
from services.jobs.db import add_or_conflict
from services.jobs.employers import service as employers
from services.jobs.employers.tables import Employer
from services.jobs.errors import InvalidState, NotYourOrganisation, RuleViolation
from services.jobs.months import month_of, next_month
from services.jobs.placements import repository as repo
from services.jobs.placements.schemas import ConfirmationCreate, PlacementCreate, PlacementEnd
from services.jobs.placements.tables import Confirmation, Placement
from services.jobs.postings import service as postings
from services.jobs.postings.tables import Posting
from services.jobs.workers.tables import Worker
from shared.errors import Conflict, Forbidden
from shared.events import add_event
from shared.identity import Identity


async def _partner_hire(
    session: AsyncSession, data: PlacementCreate, partner: Employer
) -> tuple[Employer, Posting]:
    """A partner hires on one of its own postings; the employer is the credential's."""
    if data.employer_id is not None:
        raise RuleViolation(
            "employer_id is taken from your credential; leave it out.", field="employer_id"
        )
    if data.posting_id is None:
        raise RuleViolation(
            "posting_id is required: a partner hires on one of its own postings.",
            field="posting_id",
        )
    posting = await postings.get_posting(session, data.posting_id)
    postings.ensure_owner(posting, partner)
    return partner, posting


async def _bureau_placement(session: AsyncSession, data: PlacementCreate) -> Employer:
    """Labour-bureau staff place a worker in a workshop or dedicated-post unit."""
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
    employer = await employers.get_employer(session, data.employer_id)
    if employer.kind == "haizhu_partner":
        raise RuleViolation(
            "Hires by Haizhu partners are recorded by the partner on its "
            "posting; staff record workshop and dedicated-post placements.",
            field="employer_id",
        )
    return employer


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
        employer, posting = await _partner_hire(session, data, partner)
    else:
        employer = await _bureau_placement(session, data)

    duplicate = Conflict("This worker already has an active placement with this employer.")
    if await repo.active_placement(session, worker.id, employer.id) is not None:
        raise duplicate
    if posting is not None:
        await postings.take_hire(session, posting, today)

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
    await add_or_conflict(session, placement, duplicate)
    if posting is not None:
        await postings.mark_hired(session, posting, worker)
    await add_event(
        session,
        events.PlacementStarted(
            placement_id=placement.id,
            worker_id=worker.id,
            employer_id=employer.id,
            employer_kind=employer.kind,
            posting_id=placement.posting_id,
            poor_household=placement.poor_household,
            township=placement.township,
            start_date=placement.start_date,
            monthly_wage_fen=placement.monthly_wage_fen,
        ),
    )
    return placement


def ensure_can_read(placement: Placement, actor: Identity) -> None:
    """A partner reads its own placements only; staff and auditors read every one."""
    if actor.role == "partner" and actor.subject_id != str(placement.employer_id):
        raise NotYourOrganisation("placement")


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


async def _record_to_correct(
    session: AsyncSession,
    placement: Placement,
    data: ConfirmationCreate,
    corrects: uuid.UUID,
    current: dict[str, Confirmation],
) -> uuid.UUID:
    """The id of the record a correction supersedes: a record of this placement and month that
    no other record has superseded yet."""
    target = await repo.get_confirmation(session, corrects)
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
            "That record was already corrected; correct the latest record of the month instead.",
            latest_confirmation_id=str(latest.id) if latest else None,
        )
    return target.id


def _check_next_month(
    placement: Placement, data: ConfirmationCreate, current: dict[str, Confirmation], today: date
) -> None:
    """A new month: from the start month on, in order without gaps, not in the future and not
    after the placement ended."""
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


async def confirm_month(
    session: AsyncSession,
    placement: Placement,
    data: ConfirmationCreate,
    actor: Identity,
    today: date,
) -> Confirmation:
    placement = await repo.lock_placement(session, placement.id)
    current = (await repo.current_confirmations(session, [placement.id]))[placement.id]
    confirmation = await new_confirmation(session, placement, data, actor, today, current)
    await add_or_conflict(
        session,
        confirmation,
        Conflict(
            f"{data.month} was confirmed or corrected by another request at the "
            "same time; reload the placement and retry."
        ),
    )
    await add_event(session, month_confirmed(placement, confirmation))
    return confirmation


async def new_confirmation(
    session: AsyncSession,
    placement: Placement,
    data: ConfirmationCreate,
    actor: Identity,
    today: date,
    current: dict[str, Confirmation],
) -> Confirmation:
    """The record a confirmation (or correction) of a locked placement makes, its rules checked
    against the placement's ``current`` records; nothing written yet."""
    supersedes: uuid.UUID | None = None
    if data.corrects is not None:
        supersedes = await _record_to_correct(session, placement, data, data.corrects, current)
    else:
        _check_next_month(placement, data, current, today)
    return Confirmation(
        placement_id=placement.id,
        month=data.month,
        wage_paid_fen=data.wage_paid_fen,
        supersedes=supersedes,
        note=data.note,
        created_by=actor.actor,
    )


def month_confirmed(
    placement: Placement, confirmation: Confirmation
) -> events.PlacementMonthConfirmed:
    return events.PlacementMonthConfirmed(
        confirmation_id=confirmation.id,
        placement_id=placement.id,
        worker_id=placement.worker_id,
        employer_id=placement.employer_id,
        employer_kind=placement.employer_kind,
        month=confirmation.month,
        wage_paid_fen=confirmation.wage_paid_fen,
        supersedes=confirmation.supersedes,
    )


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
    await add_event(
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
