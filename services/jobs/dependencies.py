"""Dependencies of the jobs service: who may call, today's date, and load-by-id that raises
NotFound once for all routes."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Path, Request

from services.jobs import repository as repo
from services.jobs.errors import (
    JobFairNotFound,
    PartnerNotRegistered,
    PlacementNotFound,
    PostingNotFound,
    TrainingNotFound,
    WorkerNotFound,
)
from services.jobs.models import Employer, JobFair, Placement, Posting, TrainingSession, Worker
from shared.db import SQLITE_BEGIN, SessionDep
from shared.errors import Forbidden
from shared.identity import Identity, OptionalIdentity, Role, require_roles

# Who does what (deny by default: every route names its roles).
STAFF_READ: tuple[Role, ...] = ("bureau_clerk", "bureau_approver", "auditor", "admin")
BUREAU_WRITE: tuple[Role, ...] = ("bureau_clerk", "bureau_approver", "admin")
PARTNER_OR_STAFF_READ: tuple[Role, ...] = ("partner", *STAFF_READ)
PARTNER_OR_BUREAU: tuple[Role, ...] = ("partner", *BUREAU_WRITE)

StaffReader = Annotated[Identity, Depends(require_roles(*STAFF_READ))]
BureauWriter = Annotated[Identity, Depends(require_roles(*BUREAU_WRITE))]
PartnerOrStaffReader = Annotated[Identity, Depends(require_roles(*PARTNER_OR_STAFF_READ))]
PartnerOrBureau = Annotated[Identity, Depends(require_roles(*PARTNER_OR_BUREAU))]
PartnerIdentity = Annotated[Identity, Depends(require_roles("partner"))]


def is_staff(identity: Identity | None) -> bool:
    return identity is not None and identity.role in STAFF_READ


async def public_viewer(identity: OptionalIdentity) -> Identity | None:
    """Anyone without a credential, partners and staff; other roles (stores) are refused."""
    if identity is not None and identity.role not in PARTNER_OR_STAFF_READ:
        raise Forbidden(f"The role '{identity.role}' has no access to the jobs service.")
    return identity


Viewer = Annotated[Identity | None, Depends(public_viewer)]


def local_today(utc_offset_hours: int) -> date:
    return (datetime.now(UTC) + timedelta(hours=utc_offset_hours)).date()


async def get_today(request: Request) -> date:
    """Today in Weng'an/Haizhu. ``app.state.clock`` is replaceable so tests control time."""
    return request.app.state.clock()  # type: ignore[no-any-return]


Today = Annotated[date, Depends(get_today)]


async def current_partner(identity: PartnerIdentity, session: SessionDep) -> Employer:
    """The partner organisation behind the credential (never from the body or the path)."""
    if not identity.subject_id:
        raise PartnerNotRegistered()
    try:
        employer_id = uuid.UUID(identity.subject_id)
    except ValueError:
        raise PartnerNotRegistered() from None
    employer = await repo.get_employer(session, employer_id)
    if employer is None or employer.kind != "haizhu_partner":
        raise PartnerNotRegistered()
    return employer


CurrentPartner = Annotated[Employer, Depends(current_partner)]


async def sweep_expired_postings(request: Request, today: Today) -> None:
    """Before a change to a posting, postings past their valid-through date become expired (with
    their ``jobs.posting.closed``), as the background sweep does. Runs in its own transaction so
    that the expiry stands even if the change itself is refused. Reads never write: they show
    such a posting as expired from its dates alone (``service.effective_status``).

    Routes list it in their decorator (``dependencies=[FreshPostings]``) so that it runs before
    anything queries the request's session: on SQLite a writing request holds the database's
    write lock from its first query, and this transaction would wait for it."""
    from services.jobs import service

    sessionmaker = request.app.state.sessionmaker
    async with sessionmaker(execution_options={SQLITE_BEGIN: "DEFERRED"}) as session:
        if not await repo.any_overdue_postings(session, today):
            return
    async with sessionmaker() as session, session.begin():
        expired = await service.expire_overdue_postings(session, today)
    if expired and getattr(request.app.state, "relay", None) is not None:
        request.app.state.relay.wake()


FreshPostings = Depends(sweep_expired_postings)


async def posting_by_id(session: SessionDep, posting_id: Annotated[uuid.UUID, Path()]) -> Posting:
    posting = await repo.get_posting(session, posting_id)
    if posting is None:
        raise PostingNotFound(posting_id)
    return posting


async def posting_to_change(
    session: SessionDep, posting_id: Annotated[uuid.UUID, Path()], _: None = FreshPostings
) -> Posting:
    """The posting a write is about, after overdue postings were moved to expired."""
    return await posting_by_id(session, posting_id)


async def worker_by_id(session: SessionDep, worker_id: Annotated[uuid.UUID, Path()]) -> Worker:
    worker = await repo.get_worker(session, worker_id)
    if worker is None:
        raise WorkerNotFound(worker_id)
    return worker


async def placement_by_id(
    session: SessionDep, placement_id: Annotated[uuid.UUID, Path()]
) -> Placement:
    placement = await repo.get_placement(session, placement_id)
    if placement is None:
        raise PlacementNotFound(placement_id)
    return placement


async def fair_by_id(session: SessionDep, fair_id: Annotated[uuid.UUID, Path()]) -> JobFair:
    fair = await repo.get_fair(session, fair_id)
    if fair is None:
        raise JobFairNotFound(fair_id)
    return fair


async def training_by_id(
    session: SessionDep, session_id: Annotated[uuid.UUID, Path()]
) -> TrainingSession:
    training = await repo.get_training(session, session_id)
    if training is None:
        raise TrainingNotFound(session_id)
    return training


PostingById = Annotated[Posting, Depends(posting_by_id)]
PostingToChange = Annotated[Posting, Depends(posting_to_change)]
WorkerById = Annotated[Worker, Depends(worker_by_id)]
PlacementById = Annotated[Placement, Depends(placement_by_id)]
FairById = Annotated[JobFair, Depends(fair_by_id)]
TrainingById = Annotated[TrainingSession, Depends(training_by_id)]
