"""Business rules of the subsidies service; writes events to the outbox; never commits.

Application life cycle::

    pending_verification ──verify (clerk)──► verified ──approve (approver ≠ creator, verifier;
        │      ▲                               │        reserves the amount in the fund)
        │      └──── objection during notice ──┼──────────────┐
        │                                      ▼              │
        │                                  in_notice ──notice period over──► ready_for_payment
        │                                                                      │ batch
        │                                                                      ▼
        │                                   failed ◄──bank result── in_batch ──bank result──► paid
        │                                     └──── next batch (payee fixed) ──┘
        └─ reject (with reason) from pending_verification, verified, in_notice
           cancel from any state before paid, except in_batch
    A correction taking away a month a grant needed withdraws it in the same states as cancel
    (cancelled, or back to pending_verification while other lines remain).
    Rejection, cancellation and withdrawal release a reservation; paid amounts are final.
"""

import io
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies import audit
from services.subsidies import repository as repo
from services.subsidies.bankfile import domain as bankfile
from services.subsidies.eligibility import domain as rules
from services.subsidies.errors import (
    AmountChanged,
    ApplicationNotFound,
    BatchContentInvalid,
    BatchNotDraft,
    BatchNotExported,
    BatchNotFound,
    BatchPayeeReplaced,
    BeneficiaryUnknown,
    BudgetBelowCommitted,
    DuplicateCode,
    EmptyBatch,
    FundExhausted,
    FundNotFound,
    InvalidPayee,
    MakerChecker,
    NotEligible,
    PlacementUnknown,
    ProgramNotFound,
)
from services.subsidies.events import (
    ApplicationAmended,
    ApplicationApproved,
    ApplicationCreated,
    ApplicationFailed,
    ApplicationPaid,
    ApplicationRejected,
    BatchDiscarded,
    BatchExported,
    BatchReconciled,
)
from services.subsidies.models import (
    AmountRule,
    Application,
    ApplicationLine,
    AppState,
    AuditEntry,
    BatchLine,
    BatchState,
    BulkItemResult,
    BulkResult,
    Employer,
    Fund,
    FundCreate,
    FundStats,
    FundUpdate,
    MonthConfirmation,
    Objection,
    Payee,
    PayeeCreate,
    PaymentBatch,
    Placement,
    Program,
    ProgramCreate,
    ProgramRevise,
    ReconcileResult,
    ReevaluatedGrant,
    ReevaluationRefusal,
    ReevaluationResult,
    SkippedApplication,
    Statistics,
    StatsRow,
    Worker,
)
from services.subsidies.review import domain as review
from shared import csvsafe
from shared.db import utcnow
from shared.errors import AppError
from shared.events import add_event
from shared.pii import PiiVault, mask_account, normalize_account

log = structlog.get_logger("subsidies")

SOURCE = "subsidies"
SYSTEM_ELIGIBILITY = "system:eligibility"
SYSTEM_NOTICE = "system:notice-clock"
PAYEE_CONTEXT = "subsidies.payee"


def _facts(app: Application, actor: str, now: datetime) -> review.Facts:
    return review.Facts(
        state=app.state,
        actor=actor,
        now=now,
        created_by=app.created_by,
        verified_by=app.verified_by,
        approved_by=app.approved_by,
        notice_ends_at=app.notice_ends_at,
    )


def _check(app: Application, step: str, *, actor: str, now: datetime) -> AppState:
    """The one gate of the lifecycle: ``review.domain.check`` on this application."""
    return review.check(step, _facts(app, actor, now))


async def _transition(
    session: AsyncSession,
    app: Application,
    step: str,
    *,
    action: str,
    actor: str,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Move ``app`` by the lifecycle's ``step`` (refused unless the table allows it) and record
    it in the audit trail as ``action``."""
    to = _check(app, step, actor=actor, now=now)
    from_state = app.state
    app.state = to.value
    app.updated_at = now
    session.add(app)
    await audit.record(
        session,
        entity_type="application",
        entity_id=app.id,
        action=action,
        actor=actor,
        at=now,
        from_state=from_state,
        to_state=to.value,
        reason=reason,
    )


async def _amended(
    session: AsyncSession,
    app: Application,
    *,
    change: str,
    old_amount_fen: int,
    actor: str,
    now: datetime,
    detail: str,
) -> None:
    """A pending application's amount changed as a line joined or left it: on record, so the
    amount a reviewer saw can be told from the one finally approved."""
    await audit.record(
        session,
        entity_type="application",
        entity_id=app.id,
        action=change,
        actor=actor,
        at=now,
        reason=f"{detail}; amount_fen {old_amount_fen} → {app.amount_fen}",
    )
    await add_event(
        session,
        ApplicationAmended(
            application_id=app.id,
            program_code=app.program_code,
            month=app.month,
            change=change,
            old_amount_fen=old_amount_fen,
            new_amount_fen=app.amount_fen,
        ),
        source=SOURCE,
    )


# ---------------------------------------------------------------- funds


async def create_fund(
    session: AsyncSession, body: FundCreate, *, actor: str, now: datetime
) -> Fund:
    await audit.serialize(session)
    if await repo.get_fund_by_code(session, body.code):
        raise DuplicateCode(f"A fund with code '{body.code}' already exists.")
    fund = Fund(code=body.code, name=body.name, budget_fen=body.budget_fen, created_at=now)
    session.add(fund)
    await session.flush()
    await audit.record(
        session,
        entity_type="fund",
        entity_id=fund.id,
        action="fund.created",
        actor=actor,
        at=now,
        reason=f"budget {body.budget_fen} fen",
    )
    return fund


async def update_fund(
    session: AsyncSession, fund: Fund, body: FundUpdate, *, actor: str, now: datetime
) -> Fund:
    await audit.serialize(session)
    if body.budget_fen is not None and body.budget_fen != fund.budget_fen:
        if not await repo.set_budget(session, fund.id, body.budget_fen):
            await repo.refresh(session, fund)
            raise BudgetBelowCommitted(
                f"The budget cannot go below what is already reserved and paid "
                f"({fund.reserved_fen + fund.paid_fen} fen)."
            )
        await audit.record(
            session,
            entity_type="fund",
            entity_id=fund.id,
            action="fund.budget_changed",
            actor=actor,
            at=now,
            reason=f"budget {fund.budget_fen} → {body.budget_fen} fen",
        )
    if body.name is not None:
        fund.name = body.name
        session.add(fund)
    await session.flush()
    await repo.refresh(session, fund)
    return fund


# ---------------------------------------------------------------- programs


async def _check_program_refs(
    session: AsyncSession, code: str, fund_id: uuid.UUID, not_stackable_with: list[str]
) -> None:
    if await repo.get_fund(session, fund_id) is None:
        raise FundNotFound(fund_id)
    if code in not_stackable_with:
        raise NotEligible("A program cannot list itself in not_stackable_with.")


async def create_program(
    session: AsyncSession, body: ProgramCreate, *, actor: str, now: datetime
) -> Program:
    await audit.serialize(session)
    if await repo.current_program(session, body.code):
        raise DuplicateCode(
            f"A program with code '{body.code}' already exists; change it with "
            f"PUT /v1/subsidies/programs/{body.code}."
        )
    await _check_program_refs(session, body.code, body.fund_id, body.not_stackable_with)
    program = Program(
        **body.model_dump(), version=1, is_current=True, created_by=actor, created_at=now
    )
    session.add(program)
    await session.flush()
    await audit.record(
        session,
        entity_type="program",
        entity_id=program.id,
        action="program.created",
        actor=actor,
        at=now,
        reason=f"{program.code} v1",
    )
    return program


async def revise_program(
    session: AsyncSession, current: Program, body: ProgramRevise, *, actor: str, now: datetime
) -> Program:
    await audit.serialize(session)
    await _check_program_refs(session, current.code, body.fund_id, body.not_stackable_with)
    await repo.retire_program_versions(session, current.code)
    program = Program(
        **body.model_dump(exclude={"reason"}),
        code=current.code,
        version=current.version + 1,
        is_current=True,
        created_by=actor,
        created_at=now,
    )
    session.add(program)
    await session.flush()
    await audit.record(
        session,
        entity_type="program",
        entity_id=program.id,
        action="program.revised",
        actor=actor,
        at=now,
        reason=f"{program.code} v{program.version}: {body.reason}",
    )
    return program


# ---------------------------------------------------------------- employment view


async def record_employer(
    session: AsyncSession, *, employer_id: uuid.UUID, kind: str, name: str, location: str
) -> None:
    employer = await repo.get_employer(session, employer_id)
    if employer is None:
        employer = Employer(employer_id=employer_id, kind=kind, name=name, location=location)
    else:
        employer.kind, employer.name, employer.location = kind, name, location
    session.add(employer)


async def record_worker(
    session: AsyncSession,
    *,
    worker_id: uuid.UUID,
    township: str,
    poor_household: bool,
    registered_on: date,
) -> None:
    worker = await repo.get_worker(session, worker_id)
    if worker is None:
        worker = Worker(
            worker_id=worker_id,
            township=township,
            poor_household=poor_household,
            registered_on=registered_on,
        )
    else:
        worker.township, worker.poor_household = township, poor_household
    session.add(worker)


async def record_placement(session: AsyncSession, placement: Placement) -> None:
    """A placement started: keep it and evaluate any months confirmed before it arrived."""
    await audit.serialize(session)
    existing = await repo.get_placement(session, placement.placement_id)
    if existing is None:
        session.add(placement)
        await session.flush()
        existing = placement
    await evaluate_placement(session, existing)


async def end_placement(
    session: AsyncSession, placement: Placement, *, end_date: date, reason: str
) -> None:
    placement.end_date = end_date
    placement.end_reason = reason[:500]
    session.add(placement)


async def record_confirmation(session: AsyncSession, confirmation: MonthConfirmation) -> None:
    """A month confirmed (or corrected). Kept even before its placement is known, so events
    arriving out of order produce the same applications as events in order."""
    await audit.serialize(session)
    if await repo.get_confirmation(session, confirmation.confirmation_id) is not None:
        return
    if await repo.superseders_of(session, confirmation.confirmation_id):
        confirmation.superseded = True  # its correction arrived first
    session.add(confirmation)
    if confirmation.supersedes is not None:
        await repo.mark_superseded(session, confirmation.supersedes)
    await session.flush()
    placement = await repo.get_placement(session, confirmation.placement_id)
    if placement is None:
        log.info("confirmation_before_placement", placement_id=str(confirmation.placement_id))
        return
    if confirmation.supersedes is not None:
        corrected = {confirmation.month}
        original = await repo.get_confirmation(session, confirmation.supersedes)
        if original is not None:
            corrected.add(original.month)
        await _withdraw_unsupported_grants(session, placement, corrected)
    await evaluate_placement(session, placement)


async def _withdraw_unsupported_grants(
    session: AsyncSession, placement: Placement, corrected: set[str]
) -> None:
    """A correction took the wage away from a month (no pay for a post not worked, 吃空饷):
    every grant of the placement whose rule needed that month, per-month or one-off, is
    withdrawn, unless (one-off) another run of months still meets the rule. A grant is judged
    by the program version it was made under."""
    months = rules.counted_months(await repo.confirmations_for(session, placement.placement_id))
    lost = corrected - months.keys()
    if not lost:
        return
    for line in await repo.lines_on_placement(session, placement.placement_id):
        app = await repo.get_application(session, line.application_id, for_update=True)
        if app is None or review.is_dead(app.state):
            continue
        program = await repo.get_program(session, app.program_id)
        if program is None:  # a foreign key forbids it
            continue
        missing = rules.unsupported(program, line.month, months, lost)
        if not missing:
            continue
        await _withdraw_line(
            session,
            app,
            line,
            cause=f"month {', '.join(sorted(missing))} corrected to no wage paid, so "
            f"the rule of {program.code} v{program.version} is no longer met",
        )


async def _withdraw_line(
    session: AsyncSession, app: Application, line: ApplicationLine, *, cause: str
) -> None:
    """Take a grant line out of its application, by the application's state:

    * before payment (pending, verified, in notice, ready, failed): the line goes; an
      application left without lines is cancelled (``withdrawn``), one that still has lines and
      had been reviewed goes back to ``pending_verification`` (``returned_for_review``) as after
      an objection; a reservation is released either way;
    * ``in_batch`` or ``paid``: the money is with the bank or paid, which an event cannot undo;
      the application is left as it is and the audit trail says so (``withdrawal_blocked``)
      for the bureau to act on.
    """
    now = utcnow()
    state = app.state
    what = f"{line.program_code} line for placement {line.placement_id}, month {line.month}"
    if not review.permits("withdraw", state):
        next_step = (
            "the bank's result settles it; if the batch is not yet exported, a clerk may "
            "discard the batch and cancel the application"
            if state == AppState.in_batch.value
            else "paid money is not taken back by an event; recovery is for the bureau to decide"
        )
        await audit.record(
            session,
            entity_type="application",
            entity_id=app.id,
            action="withdrawal_blocked",
            actor=SYSTEM_ELIGIBILITY,
            at=now,
            reason=f"{what} should be withdrawn ({cause}) but the application is {state}: "
            f"{next_step}",
        )
        log.warning(
            "grant_unsupported_after_release",
            application_id=str(app.id),
            program=line.program_code,
            state=state,
        )
        return
    old_amount = app.amount_fen
    app.amount_fen -= line.amount_fen
    await repo.delete(session, line)
    await session.flush()
    await _amended(
        session,
        app,
        change="line_withdrawn",
        old_amount_fen=old_amount,
        actor=SYSTEM_ELIGIBILITY,
        now=now,
        detail=f"{what} withdrawn: {cause}",
    )
    released = ""
    if review.is_reserved(state):
        await repo.release(session, app.fund_id, old_amount)
        released = f"; {old_amount} fen reserved released"
    if not await repo.lines_of(session, app.id):
        await _transition(
            session,
            app,
            "withdraw",
            action="withdrawn",
            actor=SYSTEM_ELIGIBILITY,
            now=now,
            reason=cause + released,
        )
    elif review.permits("return_for_review", state):
        app.verified_by = app.verified_at = app.approved_by = app.approved_at = None
        app.notice_ends_at = None
        await _transition(
            session,
            app,
            "return_for_review",
            action="returned_for_review",
            actor=SYSTEM_ELIGIBILITY,
            now=now,
            reason=f"a line was withdrawn ({cause}); the amount is now {app.amount_fen} fen "
            f"and must be reviewed again{released}",
        )
    session.add(app)


async def evaluate_placement(session: AsyncSession, placement: Placement) -> None:
    """Create the applications every current program grants for this placement's confirmed
    months. Safe to run any number of times: a grant already made is never made again."""
    months = rules.counted_months(await repo.confirmations_for(session, placement.placement_id))
    if not months:
        return
    for program in await repo.programs_for_employer_kind(session, placement.employer_kind):
        await _evaluate_program(session, program, placement, months)


async def _evaluate_program(
    session: AsyncSession,
    program: Program,
    placement: Placement,
    months: dict[str, uuid.UUID],
) -> tuple[list[tuple[str, Application]], list[tuple[str, str]]]:
    """Grant what one program's rule gives for the placement's counted months; returns the
    grants made (month, application) and those a rule refused (month, why)."""
    granted: list[tuple[str, Application]] = []
    refused: list[tuple[str, str]] = []
    for month in rules.due_months(program, placement, months):
        key = rules.line_key(program, placement, month)
        if await repo.line_exists(session, program.code, key):
            continue  # granted (or decided) before: re-evaluation adds nothing
        app, refusal = await add_grant(
            session,
            program,
            placement,
            month,
            confirmation_id=months[month],
            actor=SYSTEM_ELIGIBILITY,
            now=None,
        )
        if app is not None:
            granted.append((month, app))
        elif refusal:
            refused.append((month, refusal))
            log.info("grant_skipped", program=program.code, month=month, reason=refusal)
    return granted, refused


class _DryRun(Exception):
    """Raised to roll a dry run's savepoint back."""


async def reevaluate_program(
    session: AsyncSession, program: Program, *, dry_run: bool, actor: str, now: datetime
) -> ReevaluationResult:
    """Apply one program to the employment already known, exactly as the events would have if
    the program had existed when they arrived: same rules, same line keys (so running it again,
    or the events arriving again, grants nothing twice). A dry run makes the same grants in a
    savepoint and rolls it back, so it reports what stacking and caps would really allow."""
    await audit.serialize(session)  # for the whole transaction, not the dry run's savepoint
    placements = list(await repo.placements_of_kind(session, program.employer_kind))
    grants: list[ReevaluatedGrant] = []
    refused: list[ReevaluationRefusal] = []

    async def evaluate_all() -> None:
        for placement in placements:
            months = rules.counted_months(
                await repo.confirmations_for(session, placement.placement_id)
            )
            if not months:
                continue
            made, refusals = await _evaluate_program(session, program, placement, months)
            grants.extend(
                ReevaluatedGrant(
                    placement_id=placement.placement_id,
                    worker_id=placement.worker_id,
                    month=month,
                    amount_fen=program.amount_fen,
                    beneficiary_kind=app.beneficiary_kind,
                    beneficiary_id=app.beneficiary_id,
                    application_id=None if dry_run else app.id,
                )
                for month, app in made
            )
            refused.extend(
                ReevaluationRefusal(placement_id=placement.placement_id, month=month, reason=why)
                for month, why in refusals
            )

    if dry_run:
        try:
            async with session.begin_nested():
                await evaluate_all()
                raise _DryRun
        except _DryRun:
            pass
    else:
        await evaluate_all()
    total = sum(g.amount_fen for g in grants)
    if not dry_run:
        await audit.record(
            session,
            entity_type="program",
            entity_id=program.id,
            action="program.reevaluated",
            actor=actor,
            at=now,
            reason=f"{program.code} v{program.version} applied to the employment already known: "
            f"{len(grants)} grant(s), {total} fen, over {len(placements)} placement(s); "
            f"{len(refused)} refused by stacking, double-post or cap rules",
        )
        await session.flush()
    return ReevaluationResult(
        program_code=program.code,
        program_version=program.version,
        dry_run=dry_run,
        placements_evaluated=len(placements),
        grant_count=len(grants),
        total_fen=total,
        grants=grants,
        refused=refused,
    )


async def _granted(
    session: AsyncSession,
    program: Program,
    placement: Placement,
    month: str,
    key: str,
    beneficiary: uuid.UUID,
) -> rules.Granted:
    """What is already granted that the refusal rules of ``eligibility.domain`` look at."""
    conflicting = rules.conflicting_codes(
        program.not_stackable_with, await repo.codes_not_stacking_with(session, program.code)
    )
    count, total = await repo.live_totals_for_worker(session, program.code, placement.worker_id)
    return rules.Granted(
        already=await repo.line_exists(session, program.code, key),
        stacked_with=await repo.live_line_on_placement(
            session, placement.placement_id, conflicting
        ),
        other_post_in_month=placement.employer_kind == "dedicated_post"
        and await repo.live_post_line_in_month(
            session, placement.worker_id, month, placement.placement_id
        ),
        worker_months=count,
        worker_fen=total,
        beneficiary_fen=(
            await repo.live_total_for_beneficiary(session, program.code, beneficiary)
            if program.cap_per_beneficiary_fen is not None
            else 0
        ),
    )


async def add_grant(
    session: AsyncSession,
    program: Program,
    placement: Placement,
    month: str,
    *,
    confirmation_id: uuid.UUID | None,
    actor: str,
    now: datetime | None,
    manual_reason: str | None = None,
) -> tuple[Application | None, str | None]:
    """Add one grant (a line) unless a rule forbids it; returns (application, refusal)."""
    now = now or utcnow()
    key = rules.line_key(program, placement, month)
    beneficiary = rules.beneficiary(program, placement)
    granted = await _granted(session, program, placement, month, key, beneficiary)
    refusal = rules.refusal(program, placement, month, granted)
    if refusal is not None:
        return None, refusal
    amount = program.amount_fen
    app = None
    if manual_reason is None and program.amount_rule == AmountRule.per_person_month.value:
        app = await repo.open_application(session, program.id, beneficiary, month)
    created = app is None
    if app is None:
        app = Application(
            program_id=program.id,
            program_code=program.code,
            program_version=program.version,
            fund_id=program.fund_id,
            beneficiary_kind=program.beneficiary_kind,
            beneficiary_id=beneficiary,
            month=month,
            township=placement.township,
            amount_fen=0,
            state=AppState.pending_verification.value,
            manual_reason=manual_reason,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        session.add(app)
        await session.flush()
    session.add(
        ApplicationLine(
            application_id=app.id,
            program_code=program.code,
            line_key=key,
            worker_id=placement.worker_id,
            placement_id=placement.placement_id,
            employer_kind=placement.employer_kind,
            month=month,
            amount_fen=amount,
            confirmation_id=confirmation_id,
        )
    )
    old_amount = app.amount_fen
    app.amount_fen += amount
    app.updated_at = now
    session.add(app)
    await session.flush()
    if not created:
        await _amended(
            session,
            app,
            change="line_added",
            old_amount_fen=old_amount,
            actor=actor,
            now=now,
            detail=f"{program.code} line for placement {placement.placement_id}, month {month} "
            f"added (rule of {program.code} v{program.version} met)",
        )
    if created:
        await audit.record(
            session,
            entity_type="application",
            entity_id=app.id,
            action="created",
            actor=actor,
            at=now,
            to_state=AppState.pending_verification.value,
            reason=manual_reason or f"rule of {program.code} v{program.version} met for {month}",
        )
        await add_event(
            session,
            ApplicationCreated(
                application_id=app.id,
                program_code=app.program_code,
                program_version=app.program_version,
                fund_id=app.fund_id,
                beneficiary_kind=app.beneficiary_kind,
                beneficiary_id=app.beneficiary_id,
                month=app.month,
                township=app.township,
                amount_fen=app.amount_fen,
                manual=manual_reason is not None,
            ),
            source=SOURCE,
        )
    return app, None


async def create_manual_application(
    session: AsyncSession,
    *,
    program: Program,
    placement: Placement | None,
    placement_id: uuid.UUID,
    month: str,
    reason: str,
    actor: str,
    now: datetime,
) -> Application:
    await audit.serialize(session)
    if placement is None:
        raise PlacementUnknown(placement_id)
    months = rules.counted_months(await repo.confirmations_for(session, placement.placement_id))
    problem = rules.manual_refusal(program, placement, month, months)
    if problem is not None:
        raise NotEligible(problem)
    app, refusal = await add_grant(
        session,
        program,
        placement,
        month,
        confirmation_id=None,
        actor=actor,
        now=now,
        manual_reason=reason,
    )
    if app is None:
        raise NotEligible(refusal or "Not eligible.")
    return app


# ---------------------------------------------------------------- review


async def load_for_change(session: AsyncSession, application_id: uuid.UUID) -> Application:
    await audit.serialize(session)
    app = await repo.get_application(session, application_id, for_update=True)
    if app is None:
        raise ApplicationNotFound(application_id)
    return app


def _check_expected_amount(app: Application, expected_amount_fen: int | None) -> None:
    if expected_amount_fen is not None and expected_amount_fen != app.amount_fen:
        raise AmountChanged(
            f"The application is now for {app.amount_fen} fen, not the {expected_amount_fen} fen "
            "you reviewed (a grant line joined or left it); look at it again.",
            amount_fen=app.amount_fen,
        )


async def verify(
    session: AsyncSession,
    application_id: uuid.UUID,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    expected_amount_fen: int | None = None,
) -> Application:
    app = await load_for_change(session, application_id)
    _check(app, "verify", actor=actor, now=now)
    _check_expected_amount(app, expected_amount_fen)
    app.verified_by, app.verified_at = actor, now
    await _transition(session, app, "verify", action="verified", actor=actor, now=now, reason=note)
    await session.flush()
    return app


async def approve(
    session: AsyncSession,
    application_id: uuid.UUID,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    expected_amount_fen: int | None = None,
) -> Application:
    app = await load_for_change(session, application_id)
    _check(app, "approve", actor=actor, now=now)
    _check_expected_amount(app, expected_amount_fen)
    program = await session.get(Program, app.program_id)
    if program is None:  # a foreign key forbids it; refuse rather than approve blind
        raise ProgramNotFound(app.program_id)
    if not await repo.reserve(session, app.fund_id, app.amount_fen):
        fund = await repo.get_fund(session, app.fund_id)
        if fund is None:
            raise FundNotFound(app.fund_id)
        await repo.refresh(session, fund)
        raise FundExhausted(
            f"Fund '{fund.code}' has {fund.budget_fen - fund.reserved_fen - fund.paid_fen} fen "
            f"left, less than the {app.amount_fen} fen this application needs.",
            available_fen=fund.budget_fen - fund.reserved_fen - fund.paid_fen,
            needed_fen=app.amount_fen,
        )
    app.approved_by, app.approved_at = actor, now
    if program.notice_days > 0:
        app.notice_ends_at = now + timedelta(days=program.notice_days)
        step = "approve"
    else:
        step = "approve_without_notice"
    await _transition(session, app, step, action="approved", actor=actor, now=now, reason=note)
    await session.flush()
    await add_event(
        session,
        ApplicationApproved(
            application_id=app.id,
            program_code=app.program_code,
            fund_id=app.fund_id,
            amount_fen=app.amount_fen,
            notice_ends_at=app.notice_ends_at.isoformat() if app.notice_ends_at else None,
        ),
        source=SOURCE,
    )
    return app


async def reject(
    session: AsyncSession, application_id: uuid.UUID, *, reason: str, actor: str, now: datetime
) -> Application:
    app = await load_for_change(session, application_id)
    _check(app, "reject", actor=actor, now=now)
    from_state = app.state
    if review.is_reserved(app.state):
        await repo.release(session, app.fund_id, app.amount_fen)
    app.decision_reason = reason
    await _transition(
        session, app, "reject", action="rejected", actor=actor, now=now, reason=reason
    )
    await session.flush()
    await add_event(
        session,
        ApplicationRejected(
            application_id=app.id, program_code=app.program_code, from_state=from_state
        ),
        source=SOURCE,
    )
    return app


async def cancel(
    session: AsyncSession, application_id: uuid.UUID, *, reason: str, actor: str, now: datetime
) -> Application:
    app = await load_for_change(session, application_id)
    _check(app, "cancel", actor=actor, now=now)
    if review.is_reserved(app.state):
        await repo.release(session, app.fund_id, app.amount_fen)
    app.decision_reason = reason
    await _transition(
        session, app, "cancel", action="cancelled", actor=actor, now=now, reason=reason
    )
    await session.flush()
    return app


async def object_to(
    session: AsyncSession, application_id: uuid.UUID, *, text: str, actor: str, now: datetime
) -> Application:
    """An objection during public notice sends the application back to verification: the
    reservation is released and both reviews must be done again."""
    app = await load_for_change(session, application_id)
    _check(app, "object", actor=actor, now=now)
    await repo.release(session, app.fund_id, app.amount_fen)
    session.add(Objection(application_id=app.id, text=text, recorded_by=actor, created_at=now))
    app.verified_by = app.verified_at = app.approved_by = app.approved_at = None
    app.notice_ends_at = None
    await _transition(
        session,
        app,
        "object",
        action="objection",
        actor=actor,
        now=now,
        reason=text,
    )
    await session.flush()
    return app


async def close_ended_notices(
    session: AsyncSession, *, now: datetime, ids: Sequence[uuid.UUID] | None = None
) -> int:
    """Applications whose public notice ended without objection become ready for payment."""
    await audit.serialize(session)
    moved = 0
    for app in await repo.notices_ended(session, now, ids):
        await _transition(
            session,
            app,
            "end_notice",
            action="notice_ended",
            actor=SYSTEM_NOTICE,
            now=now,
        )
        moved += 1
    await session.flush()
    return moved


async def bulk(
    session: AsyncSession, ids: list[uuid.UUID], op: Callable[[uuid.UUID], Awaitable[Application]]
) -> BulkResult:
    """Apply ``op`` to each application in its own savepoint: each is checked on its own and a
    refusal leaves nothing of that item applied."""
    # Held by the whole transaction, not by an item's savepoint: a savepoint rolled back would
    # release a lock taken inside it while earlier items' audit entries are still uncommitted.
    await audit.serialize(session)
    results: list[BulkItemResult] = []
    seen: set[uuid.UUID] = set()
    for application_id in ids:
        if application_id in seen:
            results.append(
                BulkItemResult(
                    application_id=application_id,
                    ok=False,
                    status=422,
                    detail="Listed more than once in this request.",
                )
            )
            continue
        seen.add(application_id)
        try:
            async with session.begin_nested():
                app = await op(application_id)
                state = app.state
        except AppError as exc:
            results.append(
                BulkItemResult(
                    application_id=application_id, ok=False, status=exc.status, detail=exc.detail
                )
            )
            continue
        results.append(BulkItemResult(application_id=application_id, ok=True, state=state))
    ok = sum(1 for r in results if r.ok)
    return BulkResult(succeeded=ok, failed=len(results) - ok, results=results)


# ---------------------------------------------------------------- payees


def mask_name(name: str) -> str:
    return name[0] + "*" * min(len(name) - 1, 8) if len(name) > 1 else "*"


async def register_payee(
    session: AsyncSession, body: PayeeCreate, *, vault: PiiVault, actor: str, now: datetime
) -> Payee:
    await audit.serialize(session)
    try:
        account = normalize_account(body.account_number)
    except ValueError as exc:
        raise InvalidPayee(f"account_number: {exc}.") from None
    holder = body.holder_name.strip()
    if not holder or "\x00" in holder:
        raise InvalidPayee("holder_name: give the account holder's name as the bank knows it.")
    if not await repo.beneficiary_known(session, body.beneficiary_kind.value, body.beneficiary_id):
        raise BeneficiaryUnknown(body.beneficiary_kind.value, body.beneficiary_id)
    previous = await repo.active_payee(session, body.beneficiary_kind.value, body.beneficiary_id)
    await repo.retire_payees(session, body.beneficiary_kind.value, body.beneficiary_id)
    payee = Payee(
        beneficiary_kind=body.beneficiary_kind.value,
        beneficiary_id=body.beneficiary_id,
        holder_name_enc=vault.encrypt(holder, context=PAYEE_CONTEXT + ".holder"),
        holder_name_masked=mask_name(holder),
        account_enc=vault.encrypt(account, context=PAYEE_CONTEXT + ".account"),
        account_hash=vault.lookup_hash(account, context=PAYEE_CONTEXT + ".account"),
        account_masked=mask_account(account),
        bank_name=body.bank_name.strip(),
        active=True,
        created_by=actor,
        created_at=now,
    )
    session.add(payee)
    await session.flush()
    await audit.record(
        session,
        entity_type="payee",
        entity_id=payee.id,
        action="payee.replaced" if previous else "payee.registered",
        actor=actor,
        at=now,
        reason=f"for {body.beneficiary_kind.value} {body.beneficiary_id}"
        + (f", replaces payee {previous.id}" if previous else ""),
    )
    return payee


# ---------------------------------------------------------------- batches


async def create_batch(
    session: AsyncSession,
    *,
    application_ids: list[uuid.UUID] | None,
    fund_id: uuid.UUID | None,
    actor: str,
    now: datetime,
) -> tuple[PaymentBatch, list[SkippedApplication]]:
    """Make a batch of applications ready for payment (and failed ones whose payee was fixed).
    Named applications are all-or-nothing: one bad application refuses the whole batch. Taking
    every ready application, the ones that cannot be paid yet are left out and reported, so one
    beneficiary without a bank account does not hold up everyone else's payment."""
    await audit.serialize(session)
    await close_ended_notices(session, now=now, ids=application_ids)
    problems: list[dict[str, Any]] = []
    if application_ids is not None:
        if len(set(application_ids)) != len(application_ids):
            raise BatchContentInvalid("An application is listed more than once.", [])
        apps = list(await repo.applications_by_ids(session, application_ids))
        found = {a.id for a in apps}
        problems += [
            {"application_id": str(i), "problem": "no such application"}
            for i in application_ids
            if i not in found
        ]
    else:
        apps = list(await repo.ready_applications(session, fund_id))
    chosen: list[tuple[Application, Payee]] = []
    for app in apps:
        if not review.permits("batch", app.state):
            detail = f"it is {app.state}, not ready_for_payment"
            if app.state == AppState.in_notice.value and app.notice_ends_at is not None:
                detail += f" (public notice ends {app.notice_ends_at.isoformat()})"
            problems.append({"application_id": str(app.id), "problem": detail})
            continue
        payee = await repo.active_payee(session, app.beneficiary_kind, app.beneficiary_id)
        if payee is None:
            problems.append(
                {
                    "application_id": str(app.id),
                    "problem": f"no bank account registered for {app.beneficiary_kind}"
                    f" {app.beneficiary_id}",
                }
            )
            continue
        if app.state == AppState.failed.value:
            failed = await repo.last_failed_line(session, app.id)
            if failed is not None and failed.payee_id == payee.id:
                problems.append(
                    {
                        "application_id": str(app.id),
                        "problem": "its last payment failed and the payee's account "
                        "has not been corrected since",
                    }
                )
                continue
        chosen.append((app, payee))
    skipped: list[SkippedApplication] = []
    if application_ids is None:
        skipped = [
            SkippedApplication(application_id=uuid.UUID(p["application_id"]), reason=p["problem"])
            for p in problems
        ]
        problems = []
    if problems:
        raise BatchContentInvalid(
            f"{len(problems)} application(s) cannot be paid in this batch; nothing was batched.",
            problems,
        )
    if not chosen:
        if skipped:
            raise EmptyBatch(
                f"None of the {len(skipped)} application(s) ready for payment can be paid yet; "
                "nothing was batched.",
                problems=[
                    {"application_id": str(x.application_id), "problem": x.reason} for x in skipped
                ],
            )
        raise EmptyBatch("No application is ready for payment, so there is nothing to batch.")
    batch = PaymentBatch(
        state=BatchState.draft.value,
        line_count=len(chosen),
        total_fen=sum(a.amount_fen for a, _ in chosen),
        created_by=actor,
        created_at=now,
    )
    session.add(batch)
    await session.flush()
    for no, (app, payee) in enumerate(chosen, start=1):
        session.add(
            BatchLine(
                batch_id=batch.id,
                line_no=no,
                application_id=app.id,
                payee_id=payee.id,
                amount_fen=app.amount_fen,
            )
        )
        await _transition(
            session,
            app,
            "batch",
            action="batched",
            actor=actor,
            now=now,
            reason=f"batch {batch.id}",
        )
    await audit.record(
        session,
        entity_type="batch",
        entity_id=batch.id,
        action="batch.created",
        actor=actor,
        at=now,
        to_state=batch.state,
        reason=f"{batch.line_count} lines, {batch.total_fen} fen"
        + (f"; {len(skipped)} ready application(s) left out, not payable yet" if skipped else ""),
    )
    await session.flush()
    return batch, skipped


EXPORT_COLUMNS = [
    "line_id",
    "line_no",
    "payee_name",
    "account_number",
    "bank_name",
    "amount_fen",
    "currency",
    "reference",
]


async def _render_payment_file(
    session: AsyncSession, lines: Sequence[BatchLine], vault: PiiVault, exported: AuditEntry
) -> str:
    """The bank payment file of these lines, each paid to the payee recorded on the line (a
    payee row is never changed, only retired, so a re-download is the same file). Its last line
    is a trailer naming the audit entry of the export: the audit head, kept outside the
    database wherever the file goes. Names typed by users never reach a spreadsheet as a
    formula (shared.csvsafe)."""
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for line in lines:
        payee = await repo.get_payee(session, line.payee_id)
        if payee is None:  # a foreign key makes this impossible; never write a file without it
            raise BatchContentInvalid(
                f"Line {line.line_no} names payee {line.payee_id}, which does not exist.",
                [{"line_no": line.line_no, "problem": "unknown payee"}],
            )
        writer.writerow(
            [
                str(line.id),
                line.line_no,
                vault.decrypt(payee.holder_name_enc, context=PAYEE_CONTEXT + ".holder"),
                vault.decrypt(payee.account_enc, context=PAYEE_CONTEXT + ".account"),
                payee.bank_name,
                line.amount_fen,
                "CNY",
                f"SUB-{line.application_id}",
            ]
        )
    writer.writerow([audit.trailer(exported)])
    return out.getvalue()


def _not_draft(batch: PaymentBatch) -> BatchNotDraft:
    if batch.state == BatchState.discarded.value:
        return BatchNotDraft(
            f"Batch {batch.id} was discarded at "
            f"{batch.discarded_at.isoformat() if batch.discarded_at else '?'}; make a new batch."
        )
    return BatchNotDraft(
        f"Batch {batch.id} was already exported at "
        f"{batch.exported_at.isoformat() if batch.exported_at else '?'}; an exported batch is "
        f"frozen and is not exported again (download its file again with GET "
        f"/v1/subsidies/batches/{batch.id}/file)."
    )


async def _check_payees_before_export(
    session: AsyncSession,
    batch: PaymentBatch,
    lines: Sequence[BatchLine],
    *,
    actor: str,
    now: datetime,
) -> None:
    """Money goes only to the account that is current, and never on the word of the one person
    who set that account up: a changed bank account is the classic path of payment fraud."""
    replaced: list[dict[str, Any]] = []
    own: list[int] = []
    for line in lines:
        payee = await repo.get_payee(session, line.payee_id)
        if payee is None or not payee.active:
            replaced.append(
                {
                    "line_no": line.line_no,
                    "line_id": str(line.id),
                    "application_id": str(line.application_id),
                    "problem": "the beneficiary's bank account was replaced after this batch was "
                    "made; this line would pay the old account",
                }
            )
        elif payee.created_by == actor:
            own.append(line.line_no)
    if replaced:
        raise BatchPayeeReplaced(
            f"{len(replaced)} line(s) would pay an account that is no longer current; nothing "
            "was exported. Discard this batch (POST /v1/subsidies/batches/{id}/discard) and make "
            "a new one.".replace("{id}", str(batch.id)),
            replaced,
        )
    if own:
        numbers = ", ".join(str(n) for n in own[:20]) + (", …" if len(own) > 20 else "")
        reason = f"export refused: the exporter registered the bank account of line(s) {numbers}"
        batch_id = batch.id  # read now: the rollback expires the loaded row

        # The refusal rolls the request back; record it afterwards in a transaction of its own,
        # so an attempt to pay an account one set up oneself stays on record.
        async def record_refusal() -> None:
            async with AsyncSession(session.bind, info=audit.carried(session)) as s, s.begin():
                await audit.serialize(s)
                await audit.record(
                    s,
                    entity_type="batch",
                    entity_id=batch_id,
                    action="batch.export_refused",
                    actor=actor,
                    at=now,
                    reason=reason,
                )

        session.info.setdefault("after_rollback", []).append(record_refusal)
        raise MakerChecker(
            f"You registered or replaced the bank account paid by line(s) {numbers} of this "
            "batch; another person must export it (four-eyes rule on bank accounts)."
        )


async def export_batch(
    session: AsyncSession, batch_id: uuid.UUID, *, vault: PiiVault, actor: str, now: datetime
) -> str:
    """Freeze the batch and render the bank payment file: with its re-download, the only place
    where account numbers are decrypted."""
    await audit.serialize(session)
    batch = await repo.get_batch(session, batch_id, for_update=True)
    if batch is None:
        raise BatchNotFound(batch_id)
    if batch.state != BatchState.draft.value:
        raise _not_draft(batch)
    lines = await repo.batch_lines(session, batch.id)
    if not lines:
        raise EmptyBatch("The batch has no lines; there is nothing to export.")
    await _check_payees_before_export(session, batch, lines, actor=actor, now=now)
    batch.state = BatchState.exported.value
    batch.exported_by, batch.exported_at = actor, now
    session.add(batch)
    exported = await audit.record(
        session,
        entity_type="batch",
        entity_id=batch.id,
        action="batch.exported",
        actor=actor,
        at=now,
        from_state=BatchState.draft.value,
        to_state=BatchState.exported.value,
    )
    content = await _render_payment_file(session, lines, vault, exported)
    audit.anchor_after_commit(session)
    await add_event(
        session,
        BatchExported(batch_id=batch.id, line_count=batch.line_count, total_fen=batch.total_fen),
        source=SOURCE,
    )
    await session.flush()
    return content


async def download_batch_file(
    session: AsyncSession, batch_id: uuid.UUID, *, vault: PiiVault, actor: str, now: datetime
) -> str:
    """The payment file of an exported batch again (the export's answer may have been lost),
    rendered afresh from the frozen lines, never stored in clear; each download is audited."""
    await audit.serialize(session)
    batch = await repo.get_batch(session, batch_id)
    if batch is None:
        raise BatchNotFound(batch_id)
    if batch.state not in (BatchState.exported.value, BatchState.reconciled.value):
        raise BatchNotExported(
            f"Batch {batch.id} is {batch.state}: only an exported batch has a payment file"
            + (" (export it first)." if batch.state == BatchState.draft.value else ".")
        )
    exported = await repo.export_entry(session, batch.id)
    if exported is None:  # written in the export's own transaction: the audit trail is damaged
        raise BatchContentInvalid(
            f"Batch {batch.id} has no audit entry of its export; run the audit verification.", []
        )
    lines = await repo.batch_lines(session, batch.id)
    content = await _render_payment_file(session, lines, vault, exported)
    await audit.record(
        session,
        entity_type="batch",
        entity_id=batch.id,
        action="batch.file_downloaded",
        actor=actor,
        at=now,
        reason=f"re-download of the file exported by {batch.exported_by} at "
        f"{batch.exported_at.isoformat() if batch.exported_at else '?'}",
    )
    await session.flush()
    return content


async def discard_batch(
    session: AsyncSession, batch_id: uuid.UUID, *, reason: str, actor: str, now: datetime
) -> PaymentBatch:
    """Give up a batch that was never sent to the bank: its applications go back to
    ready_for_payment (their money stays reserved) and may be batched again."""
    await audit.serialize(session)
    batch = await repo.get_batch(session, batch_id, for_update=True)
    if batch is None:
        raise BatchNotFound(batch_id)
    if batch.state != BatchState.draft.value:
        raise BatchNotDraft(
            f"Batch {batch.id} is {batch.state}; only a draft batch (not yet exported) can be "
            "discarded: once exported, its file may be at the bank, so wait for the bank's result."
        )
    for line in await repo.batch_lines(session, batch.id):
        app = await repo.get_application(session, line.application_id, for_update=True)
        if app is not None and review.permits("unbatch", app.state):
            await _transition(
                session,
                app,
                "unbatch",
                action="unbatched",
                actor=actor,
                now=now,
                reason=f"batch {batch.id} discarded: {reason}",
            )
        line.status = "discarded"
        session.add(line)
    batch.state = BatchState.discarded.value
    batch.discarded_by, batch.discarded_at = actor, now
    session.add(batch)
    await audit.record(
        session,
        entity_type="batch",
        entity_id=batch.id,
        action="batch.discarded",
        actor=actor,
        at=now,
        from_state=BatchState.draft.value,
        to_state=BatchState.discarded.value,
        reason=reason,
    )
    await add_event(
        session,
        BatchDiscarded(batch_id=batch.id, line_count=batch.line_count, total_fen=batch.total_fen),
        source=SOURCE,
    )
    await session.flush()
    return batch


async def import_results(
    session: AsyncSession, batch_id: uuid.UUID, raw: bytes, *, actor: str, now: datetime
) -> ReconcileResult:
    """Reconcile a batch with the bank's result file. Everything is checked before anything is
    applied; a line already settled the same way is left alone, so re-importing is harmless."""
    await audit.serialize(session)
    batch = await repo.get_batch(session, batch_id, for_update=True)
    if batch is None:
        raise BatchNotFound(batch_id)
    if batch.state not in (BatchState.exported.value, BatchState.reconciled.value):
        raise BatchNotDraft(
            f"The batch is {batch.state}, never exported; there can be no bank result for it."
        )
    lines = {line.id: line for line in await repo.batch_lines(session, batch.id)}
    parsed = bankfile.parse_results(raw, {i: line.amount_fen for i, line in lines.items()})
    bankfile.check_no_conflicts(
        parsed,
        {
            i: bankfile.Settled(line.status, line.bank_reference, line.failure_reason)
            for i, line in lines.items()
        },
    )
    tally = _Tally()
    for item in parsed:
        line = lines[item.line_id]
        if line.status != "pending":
            tally.unchanged += 1
            continue
        await _settle_line(session, batch, line, item, actor=actor, now=now)
        tally.add(item.status, line.amount_fen)
    await session.flush()
    pending = sum(1 for line in lines.values() if line.status == "pending")
    if tally.paid or tally.failed:
        await _record_reconciliation(session, batch, tally, pending, actor=actor, now=now)
    await session.flush()
    return ReconcileResult(
        batch_id=batch.id,
        state=batch.state,
        paid=tally.paid,
        failed=tally.failed,
        unchanged=tally.unchanged,
        pending=pending,
    )


@dataclass
class _Tally:
    paid: int = 0
    failed: int = 0
    unchanged: int = 0
    paid_fen: int = 0
    failed_fen: int = 0

    def add(self, status: str, amount_fen: int) -> None:
        if status == "paid":
            self.paid += 1
            self.paid_fen += amount_fen
        else:
            self.failed += 1
            self.failed_fen += amount_fen


async def _settle_line(
    session: AsyncSession,
    batch: PaymentBatch,
    line: BatchLine,
    item: bankfile.ResultLine,
    *,
    actor: str,
    now: datetime,
) -> None:
    """Apply the bank's result to one pending line: the application is paid (the money moves
    from reserved to paid) or failed (it stays reserved for the next batch)."""
    app = await load_for_change(session, line.application_id)
    line.status = item.status
    line.settled_at = now
    if item.status == "paid":
        line.bank_reference = item.reference
        await repo.settle(session, app.fund_id, line.amount_fen)
        await _transition(
            session,
            app,
            "pay",
            action="paid",
            actor=actor,
            now=now,
            reason=f"batch {batch.id}, bank reference {item.reference}",
        )
        event: ApplicationPaid | ApplicationFailed = ApplicationPaid(
            application_id=app.id,
            program_code=app.program_code,
            fund_id=app.fund_id,
            batch_id=batch.id,
            amount_fen=line.amount_fen,
        )
    else:
        line.failure_reason = item.reason
        await _transition(
            session,
            app,
            "fail",
            action="payment_failed",
            actor=actor,
            now=now,
            reason=f"batch {batch.id}: {item.reason}",
        )
        event = ApplicationFailed(
            application_id=app.id,
            program_code=app.program_code,
            batch_id=batch.id,
            amount_fen=line.amount_fen,
        )
    await add_event(session, event, source=SOURCE)
    session.add(line)


async def _record_reconciliation(
    session: AsyncSession,
    batch: PaymentBatch,
    tally: _Tally,
    pending: int,
    *,
    actor: str,
    now: datetime,
) -> None:
    """The batch is reconciled once no line is pending; the import is audited and published."""
    from_state = batch.state
    if pending == 0:
        batch.state = BatchState.reconciled.value
        batch.reconciled_at = now
        session.add(batch)
    await audit.record(
        session,
        entity_type="batch",
        entity_id=batch.id,
        action="batch.results_imported",
        actor=actor,
        at=now,
        from_state=from_state,
        to_state=batch.state,
        reason=f"{tally.paid} paid, {tally.failed} failed, {pending} pending",
    )
    await add_event(
        session,
        BatchReconciled(
            batch_id=batch.id,
            paid_count=tally.paid,
            failed_count=tally.failed,
            pending_count=pending,
            paid_fen=tally.paid_fen,
            failed_fen=tally.failed_fen,
            complete=pending == 0,
        ),
        source=SOURCE,
    )


# ---------------------------------------------------------------- statistics

GROUPS = ("month", "township")


def basis_points(part: int, whole: int) -> int:
    return part * 10000 // whole if whole > 0 else 0


async def statistics(
    session: AsyncSession,
    *,
    group_by: list[str],
    program_code: str | None,
    fund_id: uuid.UUID | None,
    township: str | None,
    from_month: str | None,
    to_month: str | None,
) -> Statistics:
    filters: dict[str, Any] = {
        "program_code": program_code,
        "fund_id": fund_id,
        "township": township,
        "from_month": from_month,
        "to_month": to_month,
    }
    funds = [
        FundStats(
            fund_id=f.id,
            code=f.code,
            name=f.name,
            budget_fen=f.budget_fen,
            reserved_fen=f.reserved_fen,
            paid_fen=f.paid_fen,
            available_fen=f.budget_fen - f.reserved_fen - f.paid_fen,
            usage_basis_points=basis_points(f.paid_fen, f.budget_fen),
            committed_basis_points=basis_points(f.reserved_fen + f.paid_fen, f.budget_fen),
        )
        for f in await repo.all_funds(session, fund_id)
    ]
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    n = len(group_by)
    for row in await repo.application_stats(session, group_by=group_by, **filters):
        key = tuple(row[: 2 + n])
        state, count, amount = row[2 + n], int(row[3 + n]), int(row[4 + n])
        acc = rows.setdefault(
            key,
            {
                "by_state": defaultdict(int),
                "applications": 0,
                "amount_fen": 0,
                "reserved_fen": 0,
                "paid_fen": 0,
                "beneficiaries": 0,
            },
        )
        acc["by_state"][state] += count
        acc["applications"] += count
        if not review.is_dead(state):
            acc["amount_fen"] += amount
        if review.is_reserved(state):
            acc["reserved_fen"] += amount
        if state == AppState.paid.value:
            acc["paid_fen"] += amount
    for row in await repo.beneficiary_counts(session, group_by=group_by, **filters):
        key = tuple(row[: 2 + n])
        if key in rows:
            rows[key]["beneficiaries"] = int(row[2 + n])
    out = []
    for key in sorted(rows, key=lambda k: tuple(str(x) for x in k)):
        acc = rows[key]
        groups = dict(zip(group_by, key[2:], strict=True))
        out.append(
            StatsRow(
                program_code=key[0],
                fund_id=key[1],
                month=groups.get("month"),
                township=groups.get("township"),
                applications=acc["applications"],
                by_state=dict(acc["by_state"]),
                beneficiaries=acc["beneficiaries"],
                amount_fen=acc["amount_fen"],
                reserved_fen=acc["reserved_fen"],
                paid_fen=acc["paid_fen"],
            )
        )
    return Statistics(funds=funds, rows=out, group_by=group_by)
