"""Routes of the subsidies service's review feature."""

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.base import CODE_PATTERN, MONTH_PATTERN
from services.subsidies.dependencies import ApplicationDep
from services.subsidies.eligibility import service as eligibility_service
from services.subsidies.errors import ProgramNotFound
from services.subsidies.programs import service as programs_service
from services.subsidies.review import repository as repo
from services.subsidies.review import service
from services.subsidies.review.domain import AppState
from services.subsidies.review.schemas import (
    ApplicationCreate,
    ApplicationLinePublic,
    ApplicationPage,
    ApplicationPublic,
    BulkIds,
    BulkResult,
    NoteBody,
    NoticeSweepResult,
    ObjectionCreate,
    ObjectionDecision,
    ObjectionPublic,
    ReasonBody,
)
from services.subsidies.review.tables import Application
from services.subsidies.roles import (
    Approver,
    Canceller,
    Clerk,
    Payer,
    Reviewer,
    Staff,
    Verifier,
)
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep, idempotent, scope_of
from shared.openapi import responses
from shared.pagination import Cursor, Limit
from shared.runtime import Now

router = APIRouter(prefix="/v1/subsidies")


async def applications_public(
    session: AsyncSession, apps: Sequence[Application]
) -> list[ApplicationPublic]:
    """Applications with their lines and objections: two queries whatever their number."""
    ids = [app.id for app in apps]
    lines = await repo.lines_of_applications(session, ids)
    objections = await repo.objections_of_applications(session, ids)
    return [
        ApplicationPublic(
            **{k: getattr(app, k) for k in _OWN_FIELDS},
            lines=[
                ApplicationLinePublic.model_validate(x, from_attributes=True) for x in lines[app.id]
            ],
            objections=[
                ObjectionPublic.model_validate(o, from_attributes=True) for o in objections[app.id]
            ],
        )
        for app in apps
    ]


_OWN_FIELDS = [k for k in ApplicationPublic.model_fields if k not in ("lines", "objections")]


async def application_public(session: AsyncSession, app: Application) -> ApplicationPublic:
    return (await applications_public(session, [app]))[0]


@router.post(
    "/applications",
    tags=["applications"],
    operation_id="createApplication",
    summary="Create an application by hand",
    status_code=status.HTTP_201_CREATED,
    response_model=ApplicationPublic,
    responses=responses(401, 403, 404, 409, 422),
)
async def create_application(
    body: ApplicationCreate, session: SessionDep, identity: Clerk, now: Now, guard: IdempotencyDep
) -> Any:
    """For a grant the events did not produce (e.g. one a stacking rule refused before the
    other grant was rejected). The reason is kept. The placement must be known from the jobs
    events, and the month confirmed there with a wage paid, ending a run of the program's
    `required_months` such months, within the placement; stacking, double-post and cap rules
    apply as for automatic grants (409 `not-eligible` otherwise, saying which months are
    confirmed). A month whose confirmation never arrived is confirmed by the employer in the
    jobs service, which then makes the grant. For a program created after the events, see
    `POST /programs/{code}/reevaluate`. Send an `Idempotency-Key` to retry safely."""

    async def make() -> ApplicationPublic:
        program = await programs_service.current_program(session, body.program_code)
        if program is None:
            raise ProgramNotFound(body.program_code)
        placement = await eligibility_service.get_placement(session, body.placement_id)
        app = await eligibility_service.create_manual_application(
            session,
            program=program,
            placement=placement,
            placement_id=body.placement_id,
            month=body.month,
            reason=body.reason,
            actor=identity.actor,
            now=now,
        )
        return await application_public(session, app)

    return await idempotent(
        guard, session, scope=scope_of(identity), payload=body, status_code=201, make=make
    )


@router.get(
    "/applications",
    tags=["applications"],
    operation_id="listApplications",
    summary="List applications",
    response_model=ApplicationPage,
    responses=responses(401, 403, 422),
)
async def list_applications(
    session: SessionDep,
    _: Staff,
    state: Annotated[AppState | None, Query()] = None,
    program_code: Annotated[str | None, Query(max_length=50, pattern=CODE_PATTERN)] = None,
    fund_id: uuid.UUID | None = None,
    beneficiary_id: uuid.UUID | None = None,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
    township: Annotated[
        str | None,
        Query(max_length=200, pattern=r"^[^\x00]*$", description="The application's township."),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ApplicationPage:
    """Oldest first, filtered by any of state, program, fund, beneficiary, month and township;
    `total` counts the applications these filters select over all pages."""
    filters: dict[str, Any] = {
        "state": state.value if state else None,
        "program_code": program_code,
        "fund_id": fund_id,
        "beneficiary_id": beneficiary_id,
        "month": month,
        "township": township,
    }
    items, next_cursor = await repo.list_applications(
        session, **filters, limit=limit, cursor=cursor
    )
    return ApplicationPage(
        items=await applications_public(session, items),
        next_cursor=next_cursor,
        total=await repo.count_applications(session, **filters),
    )


@router.get(
    "/applications/{application_id}",
    tags=["applications"],
    operation_id="getApplication",
    summary="Get an application with its lines",
    response_model=ApplicationPublic,
    responses=responses(401, 403, 404, 422),
)
async def get_application(_: Staff, app: ApplicationDep, session: SessionDep) -> ApplicationPublic:
    return await application_public(session, app)


@router.post(
    "/applications/bulk-verify",
    tags=["applications"],
    operation_id="bulkVerifyApplications",
    summary="Verify many applications",
    response_model=BulkResult,
    responses=responses(401, 403, 422),
)
async def bulk_verify(
    body: BulkIds, session: SessionDep, identity: Verifier, now: Now
) -> BulkResult:
    """Each application is checked and verified on its own; the result lists each outcome
    (`ok`, or the `status` and `detail` of its refusal). Refused ones are left untouched."""
    return await service.bulk(
        session,
        body.application_ids,
        lambda i: service.verify(session, i, actor=identity.actor, now=now, note=body.note),
    )


@router.post(
    "/applications/bulk-approve",
    tags=["applications"],
    operation_id="bulkApproveApplications",
    summary="Approve many applications",
    response_model=BulkResult,
    responses=responses(401, 403, 409, 422),
)
async def bulk_approve(
    body: BulkIds, session: SessionDep, identity: Approver, now: Now, guard: IdempotencyDep
) -> Any:
    """Each application is checked on its own (maker-checker, state, money left in the fund)
    and approved or refused; refused ones are left untouched."""

    async def make() -> BulkResult:
        return await service.bulk(
            session,
            body.application_ids,
            lambda i: service.approve(session, i, actor=identity.actor, now=now, note=body.note),
        )

    return await idempotent(
        guard, session, scope=scope_of(identity), payload=body, status_code=200, make=make
    )


@router.post(
    "/applications/{application_id}/verify",
    tags=["applications"],
    operation_id="verifyApplication",
    summary="Verify an application",
    response_model=ApplicationPublic,
    responses=responses(401, 403, 404, 409, 422),
)
async def verify_application(
    application_id: uuid.UUID,
    session: SessionDep,
    identity: Verifier,
    now: Now,
    body: NoteBody | None = None,
) -> ApplicationPublic:
    """A clerk checks the grant against the records: pending_verification → verified. Give
    `expected_amount_fen` (the amount you checked) to be refused (409 `amount-changed`) if a
    grant line joined or left the application meanwhile."""
    app = await service.verify(
        session,
        application_id,
        actor=identity.actor,
        now=now,
        note=body.note if body else None,
        expected_amount_fen=body.expected_amount_fen if body else None,
    )
    return await application_public(session, app)


@router.post(
    "/applications/{application_id}/approve",
    tags=["applications"],
    operation_id="approveApplication",
    summary="Approve an application",
    response_model=ApplicationPublic,
    responses=responses(401, 403, 404, 409, 422),
)
async def approve_application(
    application_id: uuid.UUID,
    session: SessionDep,
    identity: Approver,
    now: Now,
    guard: IdempotencyDep,
    body: NoteBody | None = None,
) -> Any:
    """verified → in_notice (public notice for the program's `notice_days`; straight to
    ready_for_payment when that is 0). The approver must be neither the creator nor the verifier
    (403 `maker-checker`, also enforced by a database constraint). The amount is reserved in the
    fund atomically; 409 `fund-exhausted` when the fund cannot cover it. Give
    `expected_amount_fen` (the amount you reviewed) to be refused (409 `amount-changed`) if it is
    no longer the application's amount."""

    async def make() -> ApplicationPublic:
        app = await service.approve(
            session,
            application_id,
            actor=identity.actor,
            now=now,
            note=body.note if body else None,
            expected_amount_fen=body.expected_amount_fen if body else None,
        )
        return await application_public(session, app)

    return await idempotent(
        guard,
        session,
        scope=scope_of(identity),
        payload={"id": application_id, "body": body},
        status_code=200,
        make=make,
    )


@router.post(
    "/applications/{application_id}/reject",
    tags=["applications"],
    operation_id="rejectApplication",
    summary="Reject an application",
    response_model=ApplicationPublic,
    responses=responses(401, 403, 404, 409, 422),
)
async def reject_application(
    application_id: uuid.UUID, body: ReasonBody, session: SessionDep, identity: Reviewer, now: Now
) -> ApplicationPublic:
    """At any review step (pending_verification, verified, in_notice), with a reason. A
    reservation is released."""
    app = await service.reject(
        session, application_id, reason=body.reason, actor=identity.actor, now=now
    )
    return await application_public(session, app)


@router.post(
    "/applications/{application_id}/cancel",
    tags=["applications"],
    operation_id="cancelApplication",
    summary="Cancel an application",
    response_model=ApplicationPublic,
    responses=responses(401, 403, 404, 409, 422),
)
async def cancel_application(
    application_id: uuid.UUID, body: ReasonBody, session: SessionDep, identity: Canceller, now: Now
) -> ApplicationPublic:
    """Withdraw an application that is not paid and not in a batch awaiting the bank (e.g. a
    failed payment that will not be retried). A reservation is released."""
    app = await service.cancel(
        session, application_id, reason=body.reason, actor=identity.actor, now=now
    )
    return await application_public(session, app)


@router.post(
    "/applications/{application_id}/objections",
    tags=["applications"],
    operation_id="objectToApplication",
    summary="Record an objection during notice",
    status_code=status.HTTP_201_CREATED,
    response_model=ApplicationPublic,
    responses=responses(401, 403, 404, 409, 422),
)
async def object_to_application(
    application_id: uuid.UUID, body: ObjectionCreate, session: SessionDep, identity: Clerk, now: Now
) -> ApplicationPublic:
    """An objection raised during public notice (公示) sends the application back to
    pending_verification with the objection attached; the reservation is released and both
    reviews start again."""
    app = await service.object_to(
        session, application_id, text=body.text, actor=identity.actor, now=now
    )
    return await application_public(session, app)


@router.post(
    "/applications/{application_id}/objections/{objection_id}/decision",
    tags=["applications"],
    operation_id="decideObjection",
    summary="Uphold or dismiss an objection from the public",
    response_model=ApplicationPublic,
    responses=responses(401, 403, 404, 409, 422),
)
async def decide_objection(
    application_id: uuid.UUID,
    objection_id: uuid.UUID,
    body: ObjectionDecision,
    session: SessionDep,
    identity: Clerk,
    now: Now,
) -> ApplicationPublic:
    """An objection sent through the public notice is `open` until a clerk decides it, with a
    reason; while any is open the application's notice cannot end (nobody is paid). `uphold`:
    an application still in notice goes back to pending_verification (the reservation released,
    both reviews again), as with `POST /applications/{id}/objections`. `dismiss`: it stays in
    notice and becomes payable when its notice ends with no objection open. 409
    `objection-resolved` when it was decided already."""
    app = await service.resolve_objection(
        session,
        application_id,
        objection_id,
        uphold=body.decision == "uphold",
        reason=body.reason,
        actor=identity.actor,
        now=now,
    )
    return await application_public(session, app)


@router.post(
    "/notices/close-ended",
    tags=["applications"],
    operation_id="closeEndedNotices",
    summary="Move applications whose notice ended to ready_for_payment",
    response_model=NoticeSweepResult,
    responses=responses(401, 403),
)
async def close_ended_notices(session: SessionDep, _: Payer, now: Now) -> NoticeSweepResult:
    """Also done automatically when a payment batch is made. An application with an open
    objection from the public stays in notice until a clerk decides it."""
    return NoticeSweepResult(moved_to_ready=await service.close_ended_notices(session, now=now))
