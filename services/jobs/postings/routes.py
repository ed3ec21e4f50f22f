"""Postings (open ones public) and the applications the bureau makes to them for workers."""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.jobs.base import NO_NUL
from services.jobs.dependencies import (
    BureauWriter,
    CurrentPartner,
    JobsRuntime,
    PartnerOrStaffReader,
    Viewer,
    is_staff,
)
from services.jobs.employers import service as employers
from services.jobs.employers.schemas import employer_summary
from services.jobs.employers.tables import Employer
from services.jobs.errors import NotYourOrganisation, PostingNotFound
from services.jobs.postings import repository as repo
from services.jobs.postings import service
from services.jobs.postings.schemas import (
    ApplicantPublic,
    ApplicationCreate,
    ApplicationPublic,
    EmploymentType,
    JobCategory,
    PostingCreate,
    PostingPublic,
    PostingSort,
    PostingStatus,
    PostingUpdate,
)
from services.jobs.postings.tables import Posting
from services.jobs.workers import service as workers
from services.jobs.workers.tables import Worker
from shared.db import SQLITE_BEGIN, SessionDep
from shared.errors import Forbidden, Unprocessable
from shared.identity import Identity
from shared.loader import loader
from shared.openapi import responses
from shared.pagination import Cursor, Limit, Page
from shared.runtime import Today

router = APIRouter(prefix="/v1/jobs")


async def sweep_expired_postings(runtime: JobsRuntime, today: Today) -> None:
    """Before a change to a posting, postings past their valid-through date become expired (with
    their ``jobs.posting.closed``), as the background sweep does. Runs in its own transaction so
    that the expiry stands even if the change itself is refused. Reads never write: they show
    such a posting as expired from its dates alone (``service.effective_status``).

    Routes list it in their decorator (``dependencies=[FreshPostings]``) so that it runs before
    anything queries the request's session: on SQLite a writing request holds the database's
    write lock from its first query, and this transaction would wait for it."""
    sessionmaker = runtime.sessionmaker
    async with sessionmaker(execution_options={SQLITE_BEGIN: "DEFERRED"}) as session:
        if not await repo.any_overdue_postings(session, today):
            return
    async with sessionmaker() as session, session.begin():
        expired = await service.expire_overdue_postings(session, today)
    if expired:
        runtime.wake_relay()


FreshPostings = Depends(sweep_expired_postings)


PostingById = Annotated[
    Posting, Depends(loader(repo.get_posting, PostingNotFound, param="posting_id"))
]


async def posting_to_change(_: Annotated[None, FreshPostings], posting: PostingById) -> Posting:
    """The posting a write is about, loaded after overdue postings were moved to expired (the
    sweep is named first, so it runs first)."""
    return posting


PostingToChange = Annotated[Posting, Depends(posting_to_change)]


def posting_public(posting: Posting, employer: Employer, today: date) -> PostingPublic:
    data = posting.model_dump()
    data.update(
        employer=employer_summary(employer),
        status=service.effective_status(posting, today),
        openings_remaining=max(posting.openings - posting.hires, 0),
    )
    return PostingPublic.model_validate(data)


@router.post(
    "/postings",
    status_code=201,
    response_model=PostingPublic,
    tags=["postings"],
    operation_id="createPosting",
    summary="Create a job posting (draft)",
    responses=responses(401, 403, 404, 409, 422),
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


# The search's query parameters.
District = Annotated[str | None, Query(max_length=100, pattern=NO_NUL)]
SalaryAtLeast = Annotated[
    int | None,
    Query(
        ge=0,
        le=100_000_000,
        description="Pays at least this much (the top of the posting's range).",
    ),
]
SalaryStartsAtMost = Annotated[
    int | None, Query(ge=0, le=100_000_000, description="Starts at no more than this.")
]
Keyword = Annotated[
    str | None,
    Query(
        max_length=100,
        pattern=NO_NUL,
        description="Keyword in title, description or requirements.",
    ),
]
Statuses = Annotated[
    list[PostingStatus] | None,
    Query(description="Staff (or a partner with mine=true) may list other statuses than open."),
]


@router.get(
    "/postings",
    response_model=Page[PostingPublic],
    tags=["postings"],
    operation_id="listPostings",
    summary="Search job postings",
    responses=responses(401, 403, 422),
)
async def list_postings(
    viewer: Viewer,
    session: SessionDep,
    today: Today,
    limit: Limit = 50,
    cursor: Cursor = None,
    category: JobCategory | None = None,
    employment_type: EmploymentType | None = None,
    district: District = None,
    employer_id: uuid.UUID | None = None,
    salary_min_fen: SalaryAtLeast = None,
    salary_max_fen: SalaryStartsAtMost = None,
    housing: bool | None = None,
    q: Keyword = None,
    sort: PostingSort = "newest",
    status: Statuses = None,
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
    responses=responses(401, 403, 404, 422),
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
    employer = await employers.find_employer(session, posting.employer_id)
    assert employer is not None
    return posting_public(posting, employer, today)


@router.patch(
    "/postings/{posting_id}",
    response_model=PostingPublic,
    tags=["postings"],
    operation_id="updatePosting",
    summary="Edit a draft or open posting",
    responses=responses(401, 403, 404, 409, 422),
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
    responses=responses(401, 403, 404, 409, 422),
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
    responses=responses(401, 403, 404, 409, 422),
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
    responses=responses(401, 403, 404, 409, 422),
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
    worker = await workers.get_worker(session, body.worker_id)
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
    responses=responses(401, 403, 404, 422),
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
