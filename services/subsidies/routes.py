"""HTTP routes of the subsidies service (all under ``/v1/subsidies``).

Who may do what (deny by default): ``admin`` defines funds and programs; a ``bureau_clerk``
verifies applications, creates them by hand, records objections, registers payees (so may an
``admin``) and alone runs payment batches (make, export, re-download, discard, import results,
close ended notices), never exporting a batch that pays an account they registered; a
``bureau_approver`` approves (never what they created or verified); rejecting and cancelling are
open to clerks and approvers (cancelling also to admins); ``auditor`` reads everything and
changes nothing. Partner and store keys have no business here.
"""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies import audit, service
from services.subsidies import repository as repo
from services.subsidies.dependencies import (
    ApplicationDep,
    BatchDep,
    FundDep,
    Now,
    PayeeDep,
    ProgramDep,
    VaultDep,
)
from services.subsidies.errors import ProgramNotFound
from services.subsidies.models import (
    CODE_PATTERN,
    MONTH_PATTERN,
    Application,
    ApplicationCreate,
    ApplicationLinePublic,
    ApplicationPublic,
    AppState,
    AuditEntryPublic,
    AuditVerification,
    BatchCreate,
    BatchLinePublic,
    BatchPublic,
    BulkIds,
    BulkResult,
    Fund,
    FundCreate,
    FundPublic,
    FundUpdate,
    NoteBody,
    NoticeSweepResult,
    ObjectionCreate,
    ObjectionPublic,
    Payee,
    PayeeCreate,
    PayeePublic,
    PaymentBatch,
    Program,
    ProgramCreate,
    ProgramPublic,
    ProgramRevise,
    ReasonBody,
    ReconcileResult,
    ReevaluateRequest,
    ReevaluationResult,
    Statistics,
)
from shared.db import SessionDep
from shared.errors import PayloadTooLarge, Unprocessable
from shared.idempotency import IdempotencyDep
from shared.identity import STAFF_ROLES, Identity, require_roles
from shared.pagination import Cursor, Limit, Page, decode_cursor, encode_cursor

router = APIRouter(prefix="/v1/subsidies")

OPENAPI_TAGS = [
    {"name": "funds", "description": "Money allocated to subsidies (e.g. Guangzhou aid)."},
    {"name": "programs", "description": "Subsidy rules, versioned on every change."},
    {
        "name": "applications",
        "description": "Grants found from employment events or made by "
        "hand, and their review (maker-checker) and public notice.",
    },
    {"name": "payments", "description": "Payees, payment batches, bank files."},
    {"name": "audit", "description": "The append-only, hash-chained audit trail."},
    {"name": "statistics", "description": "Totals per program, fund, month and township."},
]

Admin = Annotated[Identity, Depends(require_roles("admin"))]
Staff = Annotated[Identity, Depends(require_roles(*STAFF_ROLES))]
Clerk = Annotated[Identity, Depends(require_roles("bureau_clerk", "admin"))]
Verifier = Annotated[Identity, Depends(require_roles("bureau_clerk"))]
Approver = Annotated[Identity, Depends(require_roles("bureau_approver"))]
Reviewer = Annotated[Identity, Depends(require_roles("bureau_clerk", "bureau_approver"))]
Canceller = Annotated[Identity, Depends(require_roles("bureau_clerk", "bureau_approver", "admin"))]
# Payments are the clerk's job alone: an approver who could also pay would approve and pay
# alone, and admins define funds and programs, not payments.
Payer = Annotated[Identity, Depends(require_roles("bureau_clerk"))]
Auditor = Annotated[Identity, Depends(require_roles("auditor", "admin"))]

MAX_RESULT_FILE = 5 * 1024 * 1024


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "Bad request",
        401: "No or invalid identity",
        403: "Role or rule forbids it",
        404: "Not found",
        409: "Conflicts with the current state",
        413: "Body too large",
        422: "Invalid input",
    }
    return {c: {"description": text[c], "content": {"application/problem+json": {}}} for c in codes}


def _cursor_after(cursor: str | None) -> tuple[datetime, str] | None:
    value = decode_cursor(cursor)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value["c"]), str(uuid.UUID(value["i"]))
    except (KeyError, TypeError, ValueError):
        raise Unprocessable("The cursor is not valid; start again from the first page.") from None


def _next_cursor(items: list[Any], limit: int) -> str | None:
    if len(items) < limit:
        return None
    last = items[-1]
    return encode_cursor({"c": last.created_at.isoformat(), "i": str(last.id)})


async def _idempotent(
    guard: Any, session: AsyncSession, identity: Identity, payload: Any, status_code: int, make: Any
) -> JSONResponse:
    replay = await guard.begin(session, identity.subject_id or identity.principal_id, payload)
    if replay is not None:
        return replay  # type: ignore[no-any-return]
    body = jsonable_encoder(await make())
    await guard.complete(session, status_code, body)
    return JSONResponse(body, status_code=status_code)


# ---------------------------------------------------------------- funds


def fund_public(fund: Fund) -> FundPublic:
    return FundPublic(
        id=fund.id,
        code=fund.code,
        name=fund.name,
        budget_fen=fund.budget_fen,
        reserved_fen=fund.reserved_fen,
        paid_fen=fund.paid_fen,
        available_fen=fund.budget_fen - fund.reserved_fen - fund.paid_fen,
        created_at=fund.created_at,
    )


@router.post(
    "/funds",
    tags=["funds"],
    operation_id="createFund",
    summary="Create a fund",
    status_code=status.HTTP_201_CREATED,
    response_model=FundPublic,
    responses=problems(401, 403, 409, 422),
)
async def create_fund(
    body: FundCreate, session: SessionDep, identity: Admin, now: Now
) -> FundPublic:
    """Register a fund with its allocated budget in fen (1 yuan = 100 fen). Approvals reserve
    from it; payments draw it down; it can never be over-committed."""
    return fund_public(await service.create_fund(session, body, actor=identity.actor, now=now))


@router.get(
    "/funds",
    tags=["funds"],
    operation_id="listFunds",
    summary="List funds",
    response_model=Page[FundPublic],
    responses=problems(401, 403, 422),
)
async def list_funds(
    session: SessionDep, _: Staff, limit: Limit = 50, cursor: Cursor = None
) -> Page[FundPublic]:
    items = list(await repo.list_funds(session, after=_cursor_after(cursor), limit=limit))
    return Page(items=[fund_public(f) for f in items], next_cursor=_next_cursor(items, limit))


@router.get(
    "/funds/{fund_id}",
    tags=["funds"],
    operation_id="getFund",
    summary="Get a fund",
    response_model=FundPublic,
    responses=problems(401, 403, 404, 422),
)
async def get_fund(_: Staff, fund: FundDep) -> FundPublic:
    """Budget, reserved (approved, not yet paid), paid and available amounts."""
    return fund_public(fund)


@router.patch(
    "/funds/{fund_id}",
    tags=["funds"],
    operation_id="updateFund",
    summary="Rename a fund or change its budget",
    response_model=FundPublic,
    responses=problems(401, 403, 404, 409, 422),
)
async def update_fund(
    identity: Admin, fund: FundDep, body: FundUpdate, session: SessionDep, now: Now
) -> FundPublic:
    """The budget cannot go below what is already reserved plus paid (409)."""
    return fund_public(
        await service.update_fund(session, fund, body, actor=identity.actor, now=now)
    )


# ---------------------------------------------------------------- programs


def program_public(program: Program) -> ProgramPublic:
    return ProgramPublic.model_validate(program, from_attributes=True)


@router.post(
    "/programs",
    tags=["programs"],
    operation_id="createProgram",
    summary="Define a subsidy program",
    status_code=status.HTTP_201_CREATED,
    response_model=ProgramPublic,
    responses=problems(401, 403, 404, 409, 422),
)
async def create_program(
    body: ProgramCreate, session: SessionDep, identity: Admin, now: Now
) -> ProgramPublic:
    """Define a program (version 1). Examples from the Haizhu–Weng'an program:

    * stable-employment subsidy (稳岗补贴): `employer_kind=haizhu_partner`,
      `beneficiary_kind=employer`, `amount_rule=one_off`, e.g. 500,000 fen after 6 consecutive
      confirmed months of a registered-poor worker;
    * workshop subsidy (扶贫车间补贴): `employer_kind=workshop`, `beneficiary_kind=workshop`,
      `amount_rule=per_person_month` — each confirmed month of a registered-poor worker is a line
      of the workshop's monthly application;
    * dedicated-post subsidy (扶贫专岗补贴): `employer_kind=dedicated_post`,
      `beneficiary_kind=worker`, `per_person_month`, e.g. 50,000 fen a month.

    `not_stackable_with` lists program codes the same person and job may not also receive."""
    return program_public(
        await service.create_program(session, body, actor=identity.actor, now=now)
    )


@router.get(
    "/programs",
    tags=["programs"],
    operation_id="listPrograms",
    summary="List current programs",
    response_model=Page[ProgramPublic],
    responses=problems(401, 403, 422),
)
async def list_programs(
    session: SessionDep, _: Staff, limit: Limit = 50, cursor: Cursor = None
) -> Page[ProgramPublic]:
    items = list(
        await repo.list_current_programs(session, after=_cursor_after(cursor), limit=limit)
    )
    return Page(items=[program_public(p) for p in items], next_cursor=_next_cursor(items, limit))


@router.get(
    "/programs/{code}",
    tags=["programs"],
    operation_id="getProgram",
    summary="Get a program's current version",
    response_model=ProgramPublic,
    responses=problems(401, 403, 404, 422),
)
async def get_program(_: Staff, program: ProgramDep) -> ProgramPublic:
    return program_public(program)


@router.get(
    "/programs/{code}/versions",
    tags=["programs"],
    operation_id="listProgramVersions",
    summary="Every version of a program",
    response_model=list[ProgramPublic],
    responses=problems(401, 403, 404, 422),
)
async def program_versions(
    _: Staff, program: ProgramDep, session: SessionDep
) -> list[ProgramPublic]:
    return [program_public(p) for p in await repo.program_versions(session, program.code)]


@router.put(
    "/programs/{code}",
    tags=["programs"],
    operation_id="reviseProgram",
    summary="Change a program's rules (new version)",
    response_model=ProgramPublic,
    responses=problems(401, 403, 404, 422),
)
async def revise_program(
    identity: Admin, program: ProgramDep, body: ProgramRevise, session: SessionDep, now: Now
) -> ProgramPublic:
    """Send the complete new rules with a reason. A new version becomes current; applications
    already made keep the version they were computed under."""
    return program_public(
        await service.revise_program(session, program, body, actor=identity.actor, now=now)
    )


@router.post(
    "/programs/{code}/reevaluate",
    tags=["programs"],
    operation_id="reevaluateProgram",
    summary="Apply a program to the employment already known (dry run first)",
    response_model=ReevaluationResult,
    responses=problems(401, 403, 404, 422),
)
async def reevaluate_program(
    identity: Admin, program: ProgramDep, body: ReevaluateRequest, session: SessionDep, now: Now
) -> ReevaluationResult:
    """Grants come from employment events as they arrive, so a program created (or widened)
    after the events never applied to them. This evaluates the program's current version over
    every known placement of its `employer_kind` and its confirmed months, exactly as the
    events would have: the same rules (poor households, consecutive months, validity, stacking,
    double posts, caps) and the same grant keys, so nothing is ever granted twice, whether this
    is run again or the events arrive again.

    `{"dry_run": true}` (the default) changes nothing and lists what would be granted
    (placement, worker, month, amount, beneficiary) and what a rule would refuse, with counts
    and the total. `{"dry_run": false}` makes those grants (applications by
    `system:eligibility`, pending verification) and records `program.reevaluated` in the audit
    trail with who ran it and the totals."""
    return await service.reevaluate_program(
        session, program, dry_run=body.dry_run, actor=identity.actor, now=now
    )


# ---------------------------------------------------------------- applications


async def application_public(session: AsyncSession, app: Application) -> ApplicationPublic:
    lines = [
        ApplicationLinePublic.model_validate(line, from_attributes=True)
        for line in await repo.lines_of(session, app.id)
    ]
    objections = [
        ObjectionPublic.model_validate(o, from_attributes=True)
        for o in await repo.objections_of(session, app.id)
    ]
    base = {
        k: getattr(app, k)
        for k in ApplicationPublic.model_fields
        if k not in ("lines", "objections")
    }
    return ApplicationPublic(**base, lines=lines, objections=objections)


@router.post(
    "/applications",
    tags=["applications"],
    operation_id="createApplication",
    summary="Create an application by hand",
    status_code=status.HTTP_201_CREATED,
    response_model=ApplicationPublic,
    responses=problems(401, 403, 404, 409, 422),
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
        program = await repo.current_program(session, body.program_code)
        if program is None:
            raise ProgramNotFound(body.program_code)
        placement = await repo.get_placement(session, body.placement_id)
        app = await service.create_manual_application(
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

    return await _idempotent(guard, session, identity, body, 201, make)


@router.get(
    "/applications",
    tags=["applications"],
    operation_id="listApplications",
    summary="List applications",
    response_model=Page[ApplicationPublic],
    responses=problems(401, 403, 422),
)
async def list_applications(
    session: SessionDep,
    _: Staff,
    state: Annotated[AppState | None, Query()] = None,
    program_code: Annotated[str | None, Query(max_length=50, pattern=CODE_PATTERN)] = None,
    fund_id: uuid.UUID | None = None,
    beneficiary_id: uuid.UUID | None = None,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ApplicationPublic]:
    items = list(
        await repo.list_applications(
            session,
            state=state.value if state else None,
            program_code=program_code,
            fund_id=fund_id,
            beneficiary_id=beneficiary_id,
            month=month,
            after=_cursor_after(cursor),
            limit=limit,
        )
    )
    return Page(
        items=[await application_public(session, a) for a in items],
        next_cursor=_next_cursor(items, limit),
    )


@router.get(
    "/applications/{application_id}",
    tags=["applications"],
    operation_id="getApplication",
    summary="Get an application with its lines",
    response_model=ApplicationPublic,
    responses=problems(401, 403, 404, 422),
)
async def get_application(_: Staff, app: ApplicationDep, session: SessionDep) -> ApplicationPublic:
    return await application_public(session, app)


@router.post(
    "/applications/bulk-verify",
    tags=["applications"],
    operation_id="bulkVerifyApplications",
    summary="Verify many applications",
    response_model=BulkResult,
    responses=problems(401, 403, 422),
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
    responses=problems(401, 403, 409, 422),
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

    return await _idempotent(guard, session, identity, body, 200, make)


@router.post(
    "/applications/{application_id}/verify",
    tags=["applications"],
    operation_id="verifyApplication",
    summary="Verify an application",
    response_model=ApplicationPublic,
    responses=problems(401, 403, 404, 409, 422),
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
    responses=problems(401, 403, 404, 409, 422),
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

    return await _idempotent(
        guard, session, identity, {"id": application_id, "body": body}, 200, make
    )


@router.post(
    "/applications/{application_id}/reject",
    tags=["applications"],
    operation_id="rejectApplication",
    summary="Reject an application",
    response_model=ApplicationPublic,
    responses=problems(401, 403, 404, 409, 422),
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
    responses=problems(401, 403, 404, 409, 422),
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
    responses=problems(401, 403, 404, 409, 422),
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
    "/notices/close-ended",
    tags=["applications"],
    operation_id="closeEndedNotices",
    summary="Move applications whose notice ended to ready_for_payment",
    response_model=NoticeSweepResult,
    responses=problems(401, 403),
)
async def close_ended_notices(session: SessionDep, _: Payer, now: Now) -> NoticeSweepResult:
    """Also done automatically when a payment batch is made."""
    return NoticeSweepResult(moved_to_ready=await service.close_ended_notices(session, now=now))


# ---------------------------------------------------------------- payees


def payee_public(payee: Payee) -> PayeePublic:
    return PayeePublic(
        id=payee.id,
        beneficiary_kind=payee.beneficiary_kind,
        beneficiary_id=payee.beneficiary_id,
        holder_name=payee.holder_name_masked,
        account_number=payee.account_masked,
        bank_name=payee.bank_name,
        active=payee.active,
        created_at=payee.created_at,
    )


@router.post(
    "/payees",
    tags=["payments"],
    operation_id="registerPayee",
    summary="Register or replace a beneficiary's bank account",
    status_code=status.HTTP_201_CREATED,
    response_model=PayeePublic,
    responses=problems(401, 403, 422),
)
async def register_payee(
    body: PayeeCreate, session: SessionDep, identity: Clerk, vault: VaultDep, now: Now
) -> PayeePublic:
    """The account is stored encrypted and shown masked from then on. Registering again for the
    same beneficiary replaces the account (the old one is kept, inactive, for the history).
    The beneficiary must be known from the jobs service's events (a worker or employer it
    registered or placed): 422 `beneficiary-unknown` otherwise."""
    return payee_public(
        await service.register_payee(session, body, vault=vault, actor=identity.actor, now=now)
    )


@router.get(
    "/payees",
    tags=["payments"],
    operation_id="listPayees",
    summary="List payees",
    response_model=Page[PayeePublic],
    responses=problems(401, 403, 422),
)
async def list_payees(
    session: SessionDep,
    _: Staff,
    beneficiary_id: uuid.UUID | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[PayeePublic]:
    items = list(
        await repo.list_payees(
            session, beneficiary_id=beneficiary_id, after=_cursor_after(cursor), limit=limit
        )
    )
    return Page(items=[payee_public(p) for p in items], next_cursor=_next_cursor(items, limit))


@router.get(
    "/payees/{payee_id}",
    tags=["payments"],
    operation_id="getPayee",
    summary="Get a payee (masked)",
    response_model=PayeePublic,
    responses=problems(401, 403, 404, 422),
)
async def get_payee(_: Staff, payee: PayeeDep) -> PayeePublic:
    return payee_public(payee)


# ---------------------------------------------------------------- batches


async def batch_public(session: AsyncSession, batch: PaymentBatch) -> BatchPublic:
    lines = []
    for line in await repo.batch_lines(session, batch.id):
        payee = await repo.get_payee(session, line.payee_id)
        lines.append(
            BatchLinePublic(
                id=line.id,
                line_no=line.line_no,
                application_id=line.application_id,
                payee_id=line.payee_id,
                account_number=payee.account_masked if payee else "",
                amount_fen=line.amount_fen,
                status=line.status,
                bank_reference=line.bank_reference,
                failure_reason=line.failure_reason,
            )
        )
    base = {k: getattr(batch, k) for k in BatchPublic.model_fields if k not in ("lines", "skipped")}
    return BatchPublic(**base, lines=lines)


@router.post(
    "/batches",
    tags=["payments"],
    operation_id="createBatch",
    summary="Make a payment batch",
    status_code=status.HTTP_201_CREATED,
    response_model=BatchPublic,
    responses=problems(401, 403, 409, 422),
)
async def create_batch(
    body: BatchCreate, session: SessionDep, identity: Payer, now: Now, guard: IdempotencyDep
) -> Any:
    """Give `application_ids`, or nothing (optionally a `fund_id`) to take every application
    ready for payment. Applications whose public notice has ended are moved to ready first. A
    failed application may go into a new batch once its payee's account has been replaced.

    With `application_ids`, every listed application must be payable (422 lists those that are
    not, and nothing is batched). Taking every ready application, those that cannot be paid yet
    (no bank account registered) are left out and listed in `skipped` with the reason; the
    others are batched. An empty batch is refused (422, listing any left out)."""

    async def make() -> BatchPublic:
        batch, skipped = await service.create_batch(
            session,
            application_ids=body.application_ids,
            fund_id=body.fund_id,
            actor=identity.actor,
            now=now,
        )
        public = await batch_public(session, batch)
        public.skipped = skipped
        return public

    return await _idempotent(guard, session, identity, body, 201, make)


@router.get(
    "/batches",
    tags=["payments"],
    operation_id="listBatches",
    summary="List batches",
    response_model=Page[BatchPublic],
    responses=problems(401, 403, 422),
)
async def list_batches(
    session: SessionDep, _: Staff, limit: Limit = 50, cursor: Cursor = None
) -> Page[BatchPublic]:
    items = list(await repo.list_batches(session, after=_cursor_after(cursor), limit=limit))
    return Page(
        items=[await batch_public(session, b) for b in items],
        next_cursor=_next_cursor(items, limit),
    )


@router.get(
    "/batches/{batch_id}",
    tags=["payments"],
    operation_id="getBatch",
    summary="Get a batch with its lines (accounts masked)",
    response_model=BatchPublic,
    responses=problems(401, 403, 404, 422),
)
async def get_batch(_: Staff, batch: BatchDep, session: SessionDep) -> BatchPublic:
    return await batch_public(session, batch)


@router.post(
    "/batches/{batch_id}/export",
    tags=["payments"],
    operation_id="exportBatch",
    summary="Export the bank payment file (freezes the batch)",
    responses={
        200: {"description": "The bank payment file", "content": {"text/csv": {}}},
        **problems(401, 403, 404, 409, 422),
    },
)
async def export_batch(
    batch_id: uuid.UUID, session: SessionDep, identity: Payer, vault: VaultDep, now: Now
) -> Response:
    """Returns the payment file for the bank, UTF-8 CSV with CRLF line ends and this header:

    `line_id,line_no,payee_name,account_number,bank_name,amount_fen,currency,reference`

    * `line_id` — UUID of the batch line; the bank's result file must quote it back;
    * `payee_name`, `account_number`, `bank_name` — the payee's account in clear (this file is
      the only place account numbers are decrypted: handle it as confidential);
    * `amount_fen` — integer amount in fen; `currency` — always `CNY`;
    * `reference` — `SUB-<application id>`, for the remittance note.

    The batch is frozen by the export: it cannot be exported again (409). If the answer was
    lost, download the same file again with `GET /batches/{batch_id}/file`.

    Refused, with nothing exported:
    * 409 `batch-payee-replaced`, listing the lines, when a beneficiary's bank account was
      replaced after the batch was made (the line would pay the old account): discard the batch
      and make a new one;
    * 403 `maker-checker` when you registered or replaced the bank account of any line: another
      clerk must export it (a changed bank account is the classic path of payment fraud). The
      refusal is recorded in the audit trail (`batch.export_refused`)."""
    content = await service.export_batch(
        session, batch_id, vault=vault, actor=identity.actor, now=now
    )
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="subsidy-batch-{batch_id}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/batches/{batch_id}/file",
    tags=["payments"],
    operation_id="downloadBatchFile",
    summary="Download the payment file of an exported batch again",
    responses={
        200: {"description": "The bank payment file", "content": {"text/csv": {}}},
        **problems(401, 403, 404, 409, 422),
    },
)
async def download_batch_file(
    batch_id: uuid.UUID, session: SessionDep, identity: Payer, vault: VaultDep, now: Now
) -> Response:
    """The same file the export returned (same lines, payees and amounts), for when the export's
    answer was lost. Only for an exported or reconciled batch (409 otherwise). The file is
    rendered afresh and never stored in clear; every download is recorded in the audit trail
    (who, when). Send it to the bank only if the first file did not reach it: the bank's result
    file, not a second payment, settles each line."""
    content = await service.download_batch_file(
        session, batch_id, vault=vault, actor=identity.actor, now=now
    )
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="subsidy-batch-{batch_id}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/batches/{batch_id}/discard",
    tags=["payments"],
    operation_id="discardBatch",
    summary="Discard a batch not yet exported",
    response_model=BatchPublic,
    responses=problems(401, 403, 404, 409, 422),
)
async def discard_batch(
    batch_id: uuid.UUID, body: ReasonBody, session: SessionDep, identity: Payer, now: Now
) -> BatchPublic:
    """A draft batch (never exported) is given up, with a reason: its applications go back to
    `ready_for_payment` (their money stays reserved) and can be batched again or cancelled. The
    batch stays, `discarded`, with its lines, for the record. An exported batch cannot be
    discarded (409): its file may be at the bank; import the bank's result instead."""
    batch = await service.discard_batch(
        session, batch_id, reason=body.reason, actor=identity.actor, now=now
    )
    return await batch_public(session, batch)


@router.post(
    "/batches/{batch_id}/results",
    tags=["payments"],
    operation_id="importBankResults",
    summary="Import the bank's result file",
    response_model=ReconcileResult,
    responses=problems(401, 403, 404, 409, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "line_id,status,amount_fen,bank_reference,reason\r\n"
                    "3f0e…,paid,500000,ABC20200612001,\r\n"
                    "9b1c…,failed,50000,,account closed\r\n",
                }
            },
        }
    },
)
async def import_results(
    batch_id: uuid.UUID, request: Request, session: SessionDep, identity: Payer, now: Now
) -> ReconcileResult:
    """UTF-8 CSV with the header `line_id,status,amount_fen,bank_reference,reason`; one line per
    batch line settled: `status` is `paid` (with `bank_reference`) or `failed` (with `reason`),
    and `amount_fen` must equal the amount sent. The whole file is checked first: unknown line
    ids, amounts that differ, duplicate lines or bad fields → 422 listing every bad line, and
    nothing is applied. Lines not in the file stay pending. Importing the same result again
    changes nothing; a result contradicting one already applied → 409 (paid is final)."""
    raw = await request.body()
    if len(raw) > MAX_RESULT_FILE:
        raise PayloadTooLarge(f"The result file may be at most {MAX_RESULT_FILE} bytes.")
    return await service.import_results(session, batch_id, raw, actor=identity.actor, now=now)


# ---------------------------------------------------------------- audit


@router.get(
    "/audit",
    tags=["audit"],
    operation_id="listAuditEntries",
    summary="Read the audit trail",
    response_model=Page[AuditEntryPublic],
    responses=problems(401, 403, 422),
)
async def list_audit(
    session: SessionDep,
    _: Auditor,
    entity_id: uuid.UUID | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[AuditEntryPublic]:
    """Entries in the order they were written, optionally for one entity (application, batch,
    fund, program, payee)."""
    value = decode_cursor(cursor)
    try:
        after = int(value["seq"]) if value else 0
    except (KeyError, TypeError, ValueError):
        raise Unprocessable("The cursor is not valid; start again from the first page.") from None
    items = list(await repo.list_audit(session, entity_id=entity_id, after_seq=after, limit=limit))
    next_cursor = encode_cursor({"seq": items[-1].seq}) if len(items) == limit else None
    return Page(
        items=[AuditEntryPublic.model_validate(e, from_attributes=True) for e in items],
        next_cursor=next_cursor,
    )


@router.get(
    "/audit/verify",
    tags=["audit"],
    operation_id="verifyAuditChain",
    summary="Check the audit trail's keyed hash chain and its anchors",
    response_model=AuditVerification,
    responses=problems(401, 403),
)
async def verify_audit(session: SessionDep, _: Auditor, request: Request) -> AuditVerification:
    """Recomputes every entry's keyed hash and compares the chain with the heads anchored
    outside the database (NATS key-value bucket `AUDIT_ANCHORS`); `ok` is false, with
    `first_broken_seq` and a `problem` to act on, when any entry was edited, inserted, removed
    (also from the end) or the chain recomputed outside the service, and also when the anchors
    cannot be read (NATS away). Same check as `python -m services.subsidies.audit verify`."""
    state = request.app.state
    anchors = await audit.read_anchors_from(state.nats, state.settings.event_namespace)
    return await audit.verify_chain(session, anchors)


# ---------------------------------------------------------------- statistics


@router.get(
    "/statistics",
    tags=["statistics"],
    operation_id="getStatistics",
    summary="Statistics per program and fund",
    response_model=Statistics,
    responses=problems(401, 403, 422),
)
async def get_statistics(
    session: SessionDep,
    _: Staff,
    group_by: Annotated[
        list[str] | None, Query(max_length=2, description="Any of `month`, `township`.")
    ] = None,
    program_code: Annotated[str | None, Query(max_length=50, pattern=CODE_PATTERN)] = None,
    fund_id: uuid.UUID | None = None,
    township: Annotated[str | None, Query(max_length=200)] = None,
    from_month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
    to_month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
) -> Statistics:
    """Per fund: budget, reserved, paid, available and usage (basis points: 10000 = 100%).
    Per program and fund (and month and/or township when grouped): applications by state,
    distinct beneficiaries of live applications, amounts (live, reserved, paid). Filters apply
    to the application's month (`from_month`..`to_month`, inclusive) and township."""
    groups = group_by or []
    for g in groups:
        if g not in service.GROUPS:
            raise Unprocessable(f"group_by accepts month and township, not '{g[:40]}'.")
    return await service.statistics(
        session,
        group_by=list(dict.fromkeys(groups)),
        program_code=program_code,
        fund_id=fund_id,
        township=township,
        from_month=from_month,
        to_month=to_month,
    )
