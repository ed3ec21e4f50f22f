"""HTTP routes of the jobs service: validate, authorise, call the service, shape the response.

Who may call what (deny by default; a ``store`` or unknown-role credential gets 403 everywhere,
the public board included, though anyone may read the open postings without a credential):

* public (no credential) — list and read open postings;
* ``partner`` — its own organisation profile, postings, their applications, its placements and
  their monthly confirmations; the organisation always comes from the credential;
* ``bureau_clerk`` / ``bureau_approver`` (and ``admin``) — employers, workers, applications on
  a worker's behalf, job fairs, training, workshop and dedicated-post placements;
* ``auditor`` — reads everything, changes nothing.
"""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from services.jobs import repository as repo
from services.jobs import service
from services.jobs.dependencies import (
    BureauWriter,
    CurrentPartner,
    FairById,
    FreshPostings,
    PartnerOrBureau,
    PartnerOrStaffReader,
    PlacementById,
    PostingById,
    PostingToChange,
    StaffReader,
    Today,
    TrainingById,
    Viewer,
    WorkerById,
    current_partner,
    is_staff,
)
from services.jobs.errors import (
    EmployerNotFound,
    NotYourOrganisation,
    NoWorkerWithThisId,
    PostingNotFound,
    WorkerNotFound,
)
from services.jobs.models import (
    ApplicantPublic,
    ApplicationCreate,
    ApplicationPublic,
    CompletionCreate,
    Confirmation,
    ConfirmationCreate,
    ConfirmationPublic,
    Employer,
    EmployerCreate,
    EmployerKind,
    EmployerPublic,
    EmployerSummary,
    EmployerUpdate,
    EmploymentType,
    FairEmployerAdd,
    JobCategory,
    JobFair,
    JobFairCreate,
    JobFairPublic,
    Placement,
    PlacementCreate,
    PlacementEnd,
    PlacementPublic,
    Posting,
    PostingCreate,
    PostingPublic,
    PostingSort,
    PostingStatus,
    PostingUpdate,
    Statistics,
    TrainingAttendeePublic,
    TrainingCreate,
    TrainingPublic,
    TrainingSession,
    Worker,
    WorkerCreate,
    WorkerLookup,
    WorkerPublic,
    WorkerRef,
)
from shared.db import SessionDep
from shared.errors import PROBLEM_JSON, Forbidden, Unprocessable
from shared.idempotency import IdempotencyDep
from shared.identity import Identity
from shared.pagination import Cursor, Limit, Page

router = APIRouter(prefix="/v1/jobs")

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL: refuse it as a 422


class Problem(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None


_DESCRIPTIONS = {
    401: "No credential: call through the gateway.",
    403: "The caller's role or organisation may not do this.",
    404: "No such resource.",
    409: "Conflicts with the current state (duplicate, wrong status).",
    422: "Invalid input or a broken rule; the detail says which.",
}


# Inline under application/problem+json, the type the error handlers really send: with
# ``model=`` FastAPI would document it as application/json, and clients would not expect it.
_PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": Problem.model_json_schema()}}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {
        code: {"description": _DESCRIPTIONS[code], "content": _PROBLEM_CONTENT} for code in codes
    }


READ_ERRORS = errors(401, 403, 404, 422)
WRITE_ERRORS = errors(401, 403, 404, 409, 422)


def _scope(identity: Identity) -> str:
    return identity.subject_id or identity.principal_id


# ---------------------------------------------------------------------------------- shaping


def employer_summary(employer: Employer) -> EmployerSummary:
    return EmployerSummary(
        id=employer.id,
        name=employer.name,
        kind=employer.kind,  # type: ignore[arg-type]
        location=employer.location,
    )


def posting_public(posting: Posting, employer: Employer, today: date) -> PostingPublic:
    data = posting.model_dump()
    data.update(
        employer=employer_summary(employer),
        status=service.effective_status(posting, today),
        openings_remaining=max(posting.openings - posting.hires, 0),
    )
    return PostingPublic.model_validate(data)


def worker_public(worker: Worker) -> WorkerPublic:
    return WorkerPublic.model_validate(worker, from_attributes=True)


def placement_public(placement: Placement, current: dict[str, Confirmation]) -> PlacementPublic:
    data = placement.model_dump()
    data["confirmed_months"] = sorted(current)
    data["next_month_to_confirm"] = service.next_month_to_confirm(placement, current)
    return PlacementPublic.model_validate(data)


def confirmation_public(c: Confirmation, superseded: bool) -> ConfirmationPublic:
    return ConfirmationPublic(
        id=c.id,
        placement_id=c.placement_id,
        month=c.month,
        wage_paid_fen=c.wage_paid_fen,
        supersedes=c.supersedes,
        superseded=superseded,
        note=c.note,
        created_at=c.created_at,
    )


# -------------------------------------------------------------------------------- employers


@router.post(
    "/employers",
    status_code=201,
    response_model=EmployerPublic,
    tags=["employers"],
    operation_id="createEmployer",
    summary="Register an employer",
    responses=WRITE_ERRORS,
)
async def create_employer(
    body: EmployerCreate, identity: BureauWriter, session: SessionDep
) -> EmployerPublic:
    """Register a Haizhu partner organisation (its credential's subject is the returned id), a
    Weng'an poverty-alleviation workshop (扶贫车间) or a dedicated-post unit (扶贫专岗).
    Publishes `jobs.employer.registered`. A second employer of the same kind and name is 409."""
    employer = await service.register_employer(session, body, identity)
    return EmployerPublic.model_validate(employer, from_attributes=True)


@router.get(
    "/employers",
    response_model=Page[EmployerPublic],
    tags=["employers"],
    operation_id="listEmployers",
    summary="List employers",
    responses=READ_ERRORS,
)
async def list_employers(
    identity: StaffReader,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    kind: EmployerKind | None = None,
) -> Page[EmployerPublic]:
    """All employers, newest first; labour-bureau staff and auditors."""
    items, next_cursor = await repo.list_employers(session, kind=kind, limit=limit, cursor=cursor)
    return Page(
        items=[EmployerPublic.model_validate(e, from_attributes=True) for e in items],
        next_cursor=next_cursor,
    )


@router.get(
    "/employers/me",
    response_model=EmployerPublic,
    tags=["employers"],
    operation_id="getMyEmployer",
    summary="Your organisation's profile",
    responses=READ_ERRORS,
)
async def get_my_employer(partner: CurrentPartner) -> EmployerPublic:
    """The partner organisation the credential is bound to."""
    return EmployerPublic.model_validate(partner, from_attributes=True)


@router.patch(
    "/employers/me",
    response_model=EmployerPublic,
    tags=["employers"],
    operation_id="updateMyEmployer",
    summary="Update your organisation's profile",
    responses=WRITE_ERRORS,
)
async def update_my_employer(
    body: EmployerUpdate, partner: CurrentPartner, session: SessionDep
) -> EmployerPublic:
    """Change the name, location, address, description or contact of your organisation. The
    kind cannot change."""
    employer = await service.update_employer(session, partner, body)
    return EmployerPublic.model_validate(employer, from_attributes=True)


@router.get(
    "/employers/{employer_id}",
    response_model=EmployerPublic,
    tags=["employers"],
    operation_id="getEmployer",
    summary="Read an employer",
    responses=READ_ERRORS,
)
async def get_employer(
    employer_id: uuid.UUID, identity: StaffReader, session: SessionDep
) -> EmployerPublic:
    employer = await repo.get_employer(session, employer_id)
    if employer is None:
        raise EmployerNotFound(employer_id)
    return EmployerPublic.model_validate(employer, from_attributes=True)


# --------------------------------------------------------------------------------- postings


@router.post(
    "/postings",
    status_code=201,
    response_model=PostingPublic,
    tags=["postings"],
    operation_id="createPosting",
    summary="Create a job posting (draft)",
    responses=WRITE_ERRORS,
)
async def create_posting(
    body: PostingCreate, partner: CurrentPartner, session: SessionDep, today: Today
) -> PostingPublic:
    """A new posting of your organisation, as a draft that only you and staff see until you
    publish it. The employer is your organisation; salaries are per month in fen, the minimum
    not above the maximum; at least one opening; valid-through not in the past."""
    posting = await service.create_posting(session, partner, body, today)
    return posting_public(posting, partner, today)


def _posting_statuses(
    viewer: Identity | None, status: Sequence[str] | None, mine: bool
) -> tuple[Sequence[str] | None, uuid.UUID | None]:
    """Which statuses and whose postings the caller may list."""
    if mine:
        if viewer is None or viewer.role != "partner" or not viewer.subject_id:
            raise Forbidden(
                "mine=true lists your own organisation's postings; it needs a partner credential."
            )
        try:
            own = uuid.UUID(viewer.subject_id)
        except ValueError:
            raise Forbidden("Your credential is not bound to a partner organisation.") from None
        return status or ["draft", "open", "closed", "filled", "expired"], own
    if status and set(status) != {"open"} and not is_staff(viewer):
        raise Forbidden(
            "Only open postings are public; partners see their others with "
            "mine=true, staff with status."
        )
    return status, None


@router.get(
    "/postings",
    response_model=Page[PostingPublic],
    tags=["postings"],
    operation_id="listPostings",
    summary="Search job postings",
    responses=errors(401, 403, 422),
)
async def list_postings(
    viewer: Viewer,
    session: SessionDep,
    today: Today,
    limit: Limit = 50,
    cursor: Cursor = None,
    category: JobCategory | None = None,
    employment_type: EmploymentType | None = None,
    district: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    employer_id: uuid.UUID | None = None,
    salary_min_fen: Annotated[
        int | None,
        Query(
            ge=0,
            le=100_000_000,
            description="Pays at least this much (the top of the posting's range).",
        ),
    ] = None,
    salary_max_fen: Annotated[
        int | None, Query(ge=0, le=100_000_000, description="Starts at no more than this.")
    ] = None,
    housing: bool | None = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=NO_NUL,
            description="Keyword in title, description or requirements.",
        ),
    ] = None,
    sort: PostingSort = "newest",
    status: Annotated[
        list[PostingStatus] | None,
        Query(description="Staff (or a partner with mine=true) may list other statuses than open."),
    ] = None,
    mine: bool = False,
) -> Page[PostingPublic]:
    """Open postings for job seekers, without logging in: filter by category, employment type,
    district, employer, salary, housing and keyword; sort by newest, highest salary or soonest
    closing; follow `next_cursor` for the next page. Postings past their valid-through date are
    never listed as open. Partners add `mine=true` to see their own drafts and closed postings;
    staff and auditors may filter by any `status`."""
    if (
        salary_min_fen is not None
        and salary_max_fen is not None
        and salary_min_fen > salary_max_fen
    ):
        raise Unprocessable("salary_min_fen must not be greater than salary_max_fen.")
    statuses, own = _posting_statuses(viewer, status, mine)
    flt = repo.PostingFilter(
        statuses=statuses,
        employer_id=own or employer_id,
        category=category,
        employment_type=employment_type,
        district=district,
        salary_min_fen=salary_min_fen,
        salary_max_fen=salary_max_fen,
        keyword=q,
        housing=housing,
    )
    rows, next_cursor = await repo.list_postings(
        session, flt, today=today, sort=sort, limit=limit, cursor=cursor
    )
    return Page(items=[posting_public(p, e, today) for p, e in rows], next_cursor=next_cursor)


@router.get(
    "/postings/{posting_id}",
    response_model=PostingPublic,
    tags=["postings"],
    operation_id="getPosting",
    summary="Read a job posting",
    responses=READ_ERRORS,
)
async def get_posting(
    viewer: Viewer, posting: PostingById, session: SessionDep, today: Today
) -> PostingPublic:
    """An open posting is public. Drafts and closed, filled or expired postings are seen only by
    their employer and by staff (others get 404; another partner 403)."""
    if service.effective_status(posting, today) != "open" and not is_staff(viewer):
        if viewer is None:
            raise PostingNotFound(posting.id)
        if viewer.subject_id != str(posting.employer_id):
            raise NotYourOrganisation("posting")
    employer = await repo.get_employer(session, posting.employer_id)
    assert employer is not None
    return posting_public(posting, employer, today)


@router.patch(
    "/postings/{posting_id}",
    response_model=PostingPublic,
    tags=["postings"],
    operation_id="updatePosting",
    summary="Edit a draft or open posting",
    responses=WRITE_ERRORS,
    dependencies=[FreshPostings],  # before any query of the request's session
)
async def update_posting(
    body: PostingUpdate,
    partner: CurrentPartner,
    posting: PostingToChange,
    session: SessionDep,
    today: Today,
) -> PostingPublic:
    """Change fields of your own draft or open posting. Openings cannot drop below the hires
    already made; the salary range must stay in order."""
    service.ensure_owner(posting, partner)
    posting = await service.update_posting(session, posting, body, today)
    return posting_public(posting, partner, today)


@router.post(
    "/postings/{posting_id}/publish",
    response_model=PostingPublic,
    tags=["postings"],
    operation_id="publishPosting",
    summary="Publish a draft posting",
    responses=WRITE_ERRORS,
    dependencies=[FreshPostings],  # before any query of the request's session
)
async def publish_posting(
    partner: CurrentPartner, posting: PostingToChange, session: SessionDep, today: Today
) -> PostingPublic:
    """Draft → open: the posting becomes public. Publishes `jobs.posting.published`."""
    service.ensure_owner(posting, partner)
    posting = await service.publish_posting(session, posting, today)
    return posting_public(posting, partner, today)


@router.post(
    "/postings/{posting_id}/close",
    response_model=PostingPublic,
    tags=["postings"],
    operation_id="closePosting",
    summary="Close an open posting",
    responses=WRITE_ERRORS,
    dependencies=[FreshPostings],  # before any query of the request's session
)
async def close_posting(
    partner: CurrentPartner, posting: PostingToChange, session: SessionDep, today: Today
) -> PostingPublic:
    """Open → closed: no more applications or hires. Publishes `jobs.posting.closed`."""
    service.ensure_owner(posting, partner)
    posting = await service.close_posting(session, posting, today)
    return posting_public(posting, partner, today)


@router.post(
    "/postings/{posting_id}/applications",
    status_code=201,
    response_model=ApplicationPublic,
    tags=["applications"],
    operation_id="createApplication",
    summary="Apply on a worker's behalf",
    responses=WRITE_ERRORS,
    dependencies=[FreshPostings],  # before any query of the request's session
)
async def create_application(
    body: ApplicationCreate,
    identity: BureauWriter,
    posting: PostingToChange,
    session: SessionDep,
    today: Today,
) -> ApplicationPublic:
    """Labour-bureau staff apply to an open posting for a registered worker (once per worker
    and posting)."""
    worker = await repo.get_worker(session, body.worker_id)
    if worker is None:
        raise WorkerNotFound(body.worker_id)
    application = await service.apply(session, posting, worker, body, identity, today)
    return _application_public(application, worker)


def _application_public(application: Any, worker: Worker) -> ApplicationPublic:
    return ApplicationPublic(
        id=application.id,
        posting_id=application.posting_id,
        status=application.status,
        note=application.note,
        created_at=application.created_at,
        applicant=ApplicantPublic(
            id=worker.id, name=worker.name, township=worker.township, skills=list(worker.skills)
        ),
    )


@router.get(
    "/postings/{posting_id}/applications",
    response_model=Page[ApplicationPublic],
    tags=["applications"],
    operation_id="listApplications",
    summary="Applications to a posting",
    responses=READ_ERRORS,
)
async def list_applications(
    identity: PartnerOrStaffReader,
    posting: PostingById,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ApplicationPublic]:
    """The posting's employer and staff see who applied (name, township, skills; never the ID
    number or phone)."""
    if identity.role == "partner" and identity.subject_id != str(posting.employer_id):
        raise NotYourOrganisation("posting")
    rows, next_cursor = await repo.list_applications(
        session, posting.id, limit=limit, cursor=cursor
    )
    return Page(items=[_application_public(a, w) for a, w in rows], next_cursor=next_cursor)


# ---------------------------------------------------------------------------------- workers


@router.post(
    "/workers",
    status_code=201,
    response_model=WorkerPublic,
    tags=["workers"],
    operation_id="registerWorker",
    summary="Register a Weng'an worker",
    responses=WRITE_ERRORS,
)
async def register_worker(
    body: WorkerCreate, identity: BureauWriter, session: SessionDep, request: Request, today: Today
) -> WorkerPublic:
    """Register a worker with their national ID number (checked: 18 characters, MOD 11-2) and
    mobile number, both stored encrypted and shown masked. Registering the same ID number again
    is 409 with `existing_worker_id`. Publishes `jobs.worker.registered` (no personal data)."""
    worker = await service.register_worker(session, request.app.state.vault, body, identity, today)
    return worker_public(worker)


@router.get(
    "/workers",
    response_model=Page[WorkerPublic],
    tags=["workers"],
    operation_id="listWorkers",
    summary="List workers",
    responses=READ_ERRORS,
)
async def list_workers(
    identity: StaffReader,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    township: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    poor_household: bool | None = None,
    name: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
) -> Page[WorkerPublic]:
    """Registered workers, newest first; staff and auditors. ID numbers and phones masked."""
    items, next_cursor = await repo.list_workers(
        session,
        township=township,
        poor_household=poor_household,
        name=name,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[worker_public(w) for w in items], next_cursor=next_cursor)


@router.post(
    "/workers/lookup",
    response_model=WorkerPublic,
    tags=["workers"],
    operation_id="lookupWorker",
    summary="Find a worker by national ID number",
    responses=READ_ERRORS,
)
async def lookup_worker(
    body: WorkerLookup, identity: StaffReader, session: SessionDep, request: Request
) -> WorkerPublic:
    """The registered worker with this national ID number, or 404. The number travels in the
    body so that it never appears in a URL or an access log; nothing is changed."""
    vault = request.app.state.vault
    worker = await repo.find_worker_by_id_hash(
        session, vault.lookup_hash(body.national_id, context=service.ID_CONTEXT)
    )
    if worker is None:
        raise NoWorkerWithThisId()
    return worker_public(worker)


@router.get(
    "/workers/{worker_id}",
    response_model=WorkerPublic,
    tags=["workers"],
    operation_id="getWorker",
    summary="Read a worker",
    responses=READ_ERRORS,
)
async def get_worker(identity: StaffReader, worker: WorkerById) -> WorkerPublic:
    return worker_public(worker)


# -------------------------------------------------------------------------------- job fairs


async def _fair_public(session: SessionDep, fair: JobFair) -> JobFairPublic:
    employers = await repo.fair_employers(session, fair.id)
    data = fair.model_dump()
    data.update(
        employers=[employer_summary(e) for e in employers],
        attendee_count=await repo.fair_attendee_count(session, fair.id),
    )
    return JobFairPublic.model_validate(data)


@router.post(
    "/job-fairs",
    status_code=201,
    response_model=JobFairPublic,
    tags=["job fairs"],
    operation_id="createJobFair",
    summary="Organise a job fair",
    responses=WRITE_ERRORS,
)
async def create_job_fair(
    body: JobFairCreate, identity: BureauWriter, session: SessionDep
) -> JobFairPublic:
    fair = await service.create_fair(session, body, identity)
    return await _fair_public(session, fair)


@router.get(
    "/job-fairs",
    response_model=Page[JobFairPublic],
    tags=["job fairs"],
    operation_id="listJobFairs",
    summary="List job fairs",
    responses=READ_ERRORS,
)
async def list_job_fairs(
    identity: PartnerOrStaffReader, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[JobFairPublic]:
    items, next_cursor = await repo.list_fairs(session, limit=limit, cursor=cursor)
    return Page(items=[await _fair_public(session, f) for f in items], next_cursor=next_cursor)


@router.get(
    "/job-fairs/{fair_id}",
    response_model=JobFairPublic,
    tags=["job fairs"],
    operation_id="getJobFair",
    summary="Read a job fair",
    responses=READ_ERRORS,
)
async def get_job_fair(
    identity: PartnerOrStaffReader, fair: FairById, session: SessionDep
) -> JobFairPublic:
    return await _fair_public(session, fair)


@router.post(
    "/job-fairs/{fair_id}/employers",
    status_code=201,
    response_model=JobFairPublic,
    tags=["job fairs"],
    operation_id="addJobFairEmployer",
    summary="An employer takes part in the fair",
    responses=WRITE_ERRORS,
)
async def add_job_fair_employer(
    body: FairEmployerAdd, identity: BureauWriter, fair: FairById, session: SessionDep
) -> JobFairPublic:
    await service.add_fair_employer(session, fair, body.employer_id)
    return await _fair_public(session, fair)


@router.post(
    "/job-fairs/{fair_id}/attendees",
    status_code=201,
    response_model=JobFairPublic,
    tags=["job fairs"],
    operation_id="addJobFairAttendee",
    summary="Record a worker's attendance",
    responses=WRITE_ERRORS,
)
async def add_job_fair_attendee(
    body: WorkerRef, identity: BureauWriter, fair: FairById, session: SessionDep, today: Today
) -> JobFairPublic:
    """Attendance is recorded on or after the day of the fair, once per worker."""
    worker = await repo.get_worker(session, body.worker_id)
    if worker is None:
        raise WorkerNotFound(body.worker_id)
    await service.add_fair_attendee(session, fair, worker, today)
    return await _fair_public(session, fair)


@router.get(
    "/job-fairs/{fair_id}/attendees",
    response_model=list[uuid.UUID],
    tags=["job fairs"],
    operation_id="listJobFairAttendees",
    summary="Workers who attended",
    responses=READ_ERRORS,
)
async def list_job_fair_attendees(
    identity: StaffReader, fair: FairById, session: SessionDep
) -> list[uuid.UUID]:
    """Ids of the workers who attended (staff and auditors)."""
    return await repo.fair_attendees(session, fair.id)


# -------------------------------------------------------------------------------- trainings


async def _training_public(session: SessionDep, training: TrainingSession) -> TrainingPublic:
    attendees, completed = await repo.training_counts(session, training.id)
    data = training.model_dump()
    data.update(attendee_count=attendees, completed_count=completed)
    return TrainingPublic.model_validate(data)


@router.post(
    "/trainings",
    status_code=201,
    response_model=TrainingPublic,
    tags=["training"],
    operation_id="createTraining",
    summary="Organise a training session",
    responses=WRITE_ERRORS,
)
async def create_training(
    body: TrainingCreate, identity: BureauWriter, session: SessionDep
) -> TrainingPublic:
    """A labour training session; `ends_on` not before `starts_on`."""
    training = await service.create_training(session, body, identity)
    return await _training_public(session, training)


@router.get(
    "/trainings",
    response_model=Page[TrainingPublic],
    tags=["training"],
    operation_id="listTrainings",
    summary="List training sessions",
    responses=READ_ERRORS,
)
async def list_trainings(
    identity: PartnerOrStaffReader, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[TrainingPublic]:
    items, next_cursor = await repo.list_trainings(session, limit=limit, cursor=cursor)
    return Page(items=[await _training_public(session, t) for t in items], next_cursor=next_cursor)


@router.get(
    "/trainings/{session_id}",
    response_model=TrainingPublic,
    tags=["training"],
    operation_id="getTraining",
    summary="Read a training session",
    responses=READ_ERRORS,
)
async def get_training(
    identity: PartnerOrStaffReader, training: TrainingById, session: SessionDep
) -> TrainingPublic:
    return await _training_public(session, training)


@router.post(
    "/trainings/{session_id}/attendees",
    status_code=201,
    response_model=TrainingAttendeePublic,
    tags=["training"],
    operation_id="addTrainingAttendee",
    summary="Record a worker's attendance",
    responses=WRITE_ERRORS,
)
async def add_training_attendee(
    body: WorkerRef,
    identity: BureauWriter,
    training: TrainingById,
    session: SessionDep,
    today: Today,
) -> TrainingAttendeePublic:
    """Once the session has started; once per worker."""
    worker = await repo.get_worker(session, body.worker_id)
    if worker is None:
        raise WorkerNotFound(body.worker_id)
    attendee = await service.add_training_attendee(session, training, worker, today)
    return TrainingAttendeePublic.model_validate(attendee, from_attributes=True)


@router.get(
    "/trainings/{session_id}/attendees",
    response_model=list[TrainingAttendeePublic],
    tags=["training"],
    operation_id="listTrainingAttendees",
    summary="Attendance and completion",
    responses=READ_ERRORS,
)
async def list_training_attendees(
    identity: StaffReader, training: TrainingById, session: SessionDep
) -> list[TrainingAttendeePublic]:
    return [
        TrainingAttendeePublic.model_validate(a, from_attributes=True)
        for a in await repo.training_attendees(session, training.id)
    ]


@router.post(
    "/trainings/{session_id}/completions",
    response_model=TrainingAttendeePublic,
    tags=["training"],
    operation_id="completeTraining",
    summary="A worker completed the session",
    responses=WRITE_ERRORS,
)
async def complete_training(
    body: CompletionCreate,
    identity: BureauWriter,
    training: TrainingById,
    session: SessionDep,
    today: Today,
) -> TrainingAttendeePublic:
    """For a worker whose attendance is recorded; `completed_on` between the start of the session
    and today. Publishes `jobs.training.completed`."""
    worker = await repo.get_worker(session, body.worker_id)
    if worker is None:
        raise WorkerNotFound(body.worker_id)
    attendee = await service.complete_training(session, training, worker, body, today)
    return TrainingAttendeePublic.model_validate(attendee, from_attributes=True)


# ------------------------------------------------------------------------------- placements


def _ensure_can_read(placement: Placement, identity: Identity) -> None:
    if identity.role == "partner" and identity.subject_id != str(placement.employer_id):
        raise NotYourOrganisation("placement")


@router.post(
    "/placements",
    status_code=201,
    response_model=PlacementPublic,
    tags=["placements"],
    operation_id="createPlacement",
    summary="Record a hire",
    responses=WRITE_ERRORS,
)
async def create_placement(
    body: PlacementCreate,
    identity: PartnerOrBureau,
    session: SessionDep,
    guard: IdempotencyDep,
    today: Today,
) -> Any:
    """A partner records a hire on its own open posting (`posting_id`): the hire counts against
    the openings, and the last opening turns the posting `filled`. Labour-bureau staff record a
    placement in a workshop or dedicated post (`employer_id`). One active placement per worker
    and employer. Publishes `jobs.placement.started`. Send an `Idempotency-Key` to retry safely."""
    replay = await guard.begin(session, _scope(identity), body.model_dump(mode="json"))
    if replay is not None:
        return replay
    partner = await current_partner(identity, session) if identity.role == "partner" else None
    worker = await repo.get_worker(session, body.worker_id)
    if worker is None:
        raise WorkerNotFound(body.worker_id)
    placement = await service.start_placement(
        session, body, worker, identity, today, partner=partner
    )
    result = placement_public(placement, {}).model_dump(mode="json")
    await guard.complete(session, 201, result)
    return result


@router.get(
    "/placements",
    response_model=Page[PlacementPublic],
    tags=["placements"],
    operation_id="listPlacements",
    summary="List placements",
    responses=READ_ERRORS,
)
async def list_placements(
    identity: PartnerOrStaffReader,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    worker_id: uuid.UUID | None = None,
    employer_id: uuid.UUID | None = None,
    status: Literal["active", "ended"] | None = None,
) -> Page[PlacementPublic]:
    """A partner sees its own placements; staff and auditors all of them."""
    if identity.role == "partner":
        own = await current_partner(identity, session)
        if employer_id is not None and employer_id != own.id:
            raise NotYourOrganisation("employer's placement list")
        employer_id = own.id
    items, next_cursor = await repo.list_placements(
        session,
        employer_id=employer_id,
        worker_id=worker_id,
        status=status,
        limit=limit,
        cursor=cursor,
    )
    current = await repo.current_confirmations(session, [p.id for p in items])
    return Page(items=[placement_public(p, current[p.id]) for p in items], next_cursor=next_cursor)


@router.get(
    "/placements/{placement_id}",
    response_model=PlacementPublic,
    tags=["placements"],
    operation_id="getPlacement",
    summary="Read a placement",
    responses=READ_ERRORS,
)
async def get_placement(
    identity: PartnerOrStaffReader, placement: PlacementById, session: SessionDep
) -> PlacementPublic:
    _ensure_can_read(placement, identity)
    current = await repo.current_confirmations(session, [placement.id])
    return placement_public(placement, current[placement.id])


@router.post(
    "/placements/{placement_id}/confirmations",
    status_code=201,
    response_model=ConfirmationPublic,
    tags=["placements"],
    operation_id="confirmPlacementMonth",
    summary="Confirm a month of employment (or correct one)",
    responses=WRITE_ERRORS,
)
async def confirm_month(
    body: ConfirmationCreate,
    identity: PartnerOrBureau,
    placement: PlacementById,
    session: SessionDep,
    guard: IdempotencyDep,
    today: Today,
) -> Any:
    """Confirm that the worker was still employed in `month` and what wage was paid. Months go in
    order from the start month without gaps, never a month in the future and never after the
    placement ended. To correct a month, send it again with `corrects` naming the record it
    replaces: a new record supersedes the old one, which is kept. Partners confirm their own
    placements; staff those in workshops and dedicated posts. Publishes
    `jobs.placement.month_confirmed`. Send an `Idempotency-Key` to retry safely."""
    service.ensure_can_record(placement, identity)
    replay = await guard.begin(session, _scope(identity), body.model_dump(mode="json"))
    if replay is not None:
        return replay
    confirmation = await service.confirm_month(session, placement, body, identity, today)
    result = confirmation_public(confirmation, False).model_dump(mode="json")
    await guard.complete(session, 201, result)
    return result


@router.get(
    "/placements/{placement_id}/confirmations",
    response_model=list[ConfirmationPublic],
    tags=["placements"],
    operation_id="listPlacementConfirmations",
    summary="Monthly confirmations of a placement",
    responses=READ_ERRORS,
)
async def list_confirmations(
    identity: PartnerOrStaffReader, placement: PlacementById, session: SessionDep
) -> list[ConfirmationPublic]:
    """Every record, corrections included (`superseded` marks the replaced ones)."""
    _ensure_can_read(placement, identity)
    records = await repo.confirmations(session, placement.id)
    replaced = {c.supersedes for c in records if c.supersedes is not None}
    return [confirmation_public(c, c.id in replaced) for c in records]


@router.post(
    "/placements/{placement_id}/end",
    response_model=PlacementPublic,
    tags=["placements"],
    operation_id="endPlacement",
    summary="End a placement",
    responses=WRITE_ERRORS,
)
async def end_placement(
    body: PlacementEnd,
    identity: PartnerOrBureau,
    placement: PlacementById,
    session: SessionDep,
    today: Today,
) -> PlacementPublic:
    """The worker left on `end_date` (not in the future, not before the start or a confirmed
    month) for `reason`. Publishes `jobs.placement.ended`."""
    service.ensure_can_record(placement, identity)
    placement = await service.end_placement(session, placement, body, today)
    current = await repo.current_confirmations(session, [placement.id])
    return placement_public(placement, current[placement.id])


# ------------------------------------------------------------------------------- statistics


@router.get(
    "/statistics",
    response_model=Statistics,
    tags=["statistics"],
    operation_id="getJobsStatistics",
    summary="Labour-cooperation figures",
    responses=errors(401, 403, 422),
)
async def get_statistics(
    identity: StaffReader,
    session: SessionDep,
    request: Request,
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
    when the run reaches a month in the period) and total wages paid, for a period and township."""
    if from_ is not None and to is not None and from_ > to:
        raise Unprocessable("from must not be after to.")
    return await service.statistics(
        session,
        start=from_,
        end=to,
        township=township,
        stable_months=request.app.state.settings.stable_months,
        today=today,
    )
