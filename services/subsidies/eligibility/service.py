"""Service of the subsidies service's eligibility feature."""

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.audit import service as audit
from services.subsidies.audit.service import log
from services.subsidies.eligibility import domain as rules
from services.subsidies.eligibility import repository as repo
from services.subsidies.eligibility.granted import Ledger
from services.subsidies.eligibility.tables import MonthConfirmation, Placement
from services.subsidies.errors import NotEligible, PlacementUnknown
from services.subsidies.events import ApplicationCreated
from services.subsidies.funds import service as funds_service
from services.subsidies.programs import service as programs_service
from services.subsidies.programs.tables import Program
from services.subsidies.review import domain as review
from services.subsidies.review import service as review_service
from services.subsidies.review.domain import AppState
from services.subsidies.review.service import record_amended, transition
from services.subsidies.review.tables import Application, ApplicationLine
from shared.db import utcnow
from shared.events import add_event

SYSTEM_ELIGIBILITY = "system:eligibility"


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
    known, correction_first = await repo.confirmation_seen(session, confirmation.confirmation_id)
    if known:
        return
    if correction_first:
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
        app = await review_service.get_application(session, line.application_id, for_update=True)
        if app is None or review.is_dead(app.state):
            continue
        program = await programs_service.get_program(session, app.program_id)
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


async def _withdrawal_blocked(
    session: AsyncSession,
    app: Application,
    line: ApplicationLine,
    *,
    what: str,
    cause: str,
    now: datetime,
) -> None:
    """The money is with the bank or paid, which an event cannot undo: the application stays
    as it is and the audit trail tells the bureau what it may do."""
    state = app.state
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
        reason=f"{what} should be withdrawn ({cause}) but the application is {state}: {next_step}",
    )
    log.warning(
        "grant_unsupported_after_release",
        application_id=str(app.id),
        program=line.program_code,
        state=state,
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
        await _withdrawal_blocked(session, app, line, what=what, cause=cause, now=now)
        return
    old_amount = app.amount_fen
    app.amount_fen -= line.amount_fen
    await review_service.delete(session, line)
    await session.flush()
    await record_amended(
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
        await funds_service.release(session, app.fund_id, old_amount)
        released = f"; {old_amount} fen reserved released"
    if not await review_service.lines_of(session, app.id):
        await transition(
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
        await transition(
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
    months. Safe to run any number of times: a grant already made is never made again. Every
    due month is looked at each time (a month refused for a cap or by stacking may be granted
    once a grant it counted is withdrawn), but what is granted is read once (``Ledger``)."""
    months = rules.counted_months(await repo.confirmations_for(session, placement.placement_id))
    if not months:
        return
    current = await programs_service.current_programs(session)
    programs = [p for p in current if p.employer_kind == placement.employer_kind]
    ledger = Ledger(placement, current)
    await ledger.learn_keys(
        session,
        (
            (p.code, rules.line_key(p, placement, month))
            for p in programs
            for month in rules.due_months(p, placement, months)
        ),
    )
    for program in programs:
        await evaluate_program(session, program, placement, months, ledger=ledger)


async def evaluate_program(
    session: AsyncSession,
    program: Program,
    placement: Placement,
    months: dict[str, uuid.UUID],
    *,
    ledger: Ledger | None = None,
) -> tuple[list[tuple[str, Application]], list[tuple[str, str]]]:
    """Grant what one program's rule gives for the placement's counted months; returns the
    grants made (month, application) and those a rule refused (month, why)."""
    granted: list[tuple[str, Application]] = []
    refused: list[tuple[str, str]] = []
    due = rules.due_months(program, placement, months)
    if not due:
        return granted, refused
    ledger = ledger or Ledger(placement, await programs_service.current_programs(session))
    await ledger.learn_keys(
        session, ((program.code, rules.line_key(program, placement, m)) for m in due)
    )
    for month in due:
        key = rules.line_key(program, placement, month)
        if await ledger.has_line(session, program.code, key):
            continue  # granted (or decided) before: re-evaluation adds nothing
        app, refusal = await add_grant(
            session,
            program,
            placement,
            month,
            confirmation_id=months[month],
            actor=SYSTEM_ELIGIBILITY,
            now=None,
            ledger=ledger,
        )
        if app is not None:
            granted.append((month, app))
        elif refusal:
            refused.append((month, refusal))
            log.info("grant_skipped", program=program.code, month=month, reason=refusal)
    return granted, refused


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
    ledger: Ledger | None = None,
) -> tuple[Application | None, str | None]:
    """Add one grant (a line) unless a rule forbids it; returns (application, refusal).
    ``ledger``: what the evaluation knows is granted (else read afresh)."""
    now = now or utcnow()
    key = rules.line_key(program, placement, month)
    beneficiary = rules.beneficiary(program, placement)
    ledger = ledger or Ledger(placement, await programs_service.current_programs(session))
    granted = await ledger.granted(session, program, month, key, beneficiary)
    refusal = rules.refusal(program, placement, month, granted)
    if refusal is not None:
        return None, refusal
    amount = rules.grant_amount(program)
    app, created = await _application_for(
        session,
        program,
        placement,
        month,
        beneficiary,
        actor=actor,
        now=now,
        reason=manual_reason,
        amount_fen=amount,
    )
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
    ledger.note(program, key, month, beneficiary, amount)
    old_amount = app.amount_fen
    if not created:  # (a new one was made worth this line; a joined one is in the session)
        app.amount_fen, app.updated_at = app.amount_fen + amount, now
    await session.flush()
    if created:
        await _record_created(session, app, program, month, actor=actor, now=now)
    else:
        await _record_line_added(
            session, app, program, placement, month, old_amount, actor=actor, now=now
        )
    return app, None


async def _record_line_added(
    session: AsyncSession,
    app: Application,
    program: Program,
    placement: Placement,
    month: str,
    old_amount: int,
    *,
    actor: str,
    now: datetime,
) -> None:
    """A line joined an open application: in the audit trail and published."""
    await record_amended(
        session,
        app,
        change="line_added",
        old_amount_fen=old_amount,
        actor=actor,
        now=now,
        detail=f"{program.code} line for placement {placement.placement_id}, month {month} "
        f"added (rule of {program.code} v{program.version} met)",
    )


async def _application_for(
    session: AsyncSession,
    program: Program,
    placement: Placement,
    month: str,
    beneficiary: uuid.UUID,
    *,
    actor: str,
    now: datetime,
    reason: str | None,
    amount_fen: int,
) -> tuple[Application, bool]:
    """The application a new line joins: the beneficiary's open one of the program and month
    (per person-month grants), else a new one worth ``amount_fen`` (the line's); returns it
    and whether it was created."""
    if rules.joins_open_application(program, manual=reason is not None):
        app = await repo.open_application(session, program.id, beneficiary, month)
        if app is not None:
            return app, False
    app = Application(
        program_id=program.id,
        program_code=program.code,
        program_version=program.version,
        fund_id=program.fund_id,
        beneficiary_kind=program.beneficiary_kind,
        beneficiary_id=beneficiary,
        month=month,
        township=placement.township,
        amount_fen=amount_fen,
        state=AppState.pending_verification.value,
        manual_reason=reason,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(app)
    await session.flush()
    return app, True


async def _record_created(
    session: AsyncSession,
    app: Application,
    program: Program,
    month: str,
    *,
    actor: str,
    now: datetime,
) -> None:
    """A new application: in the audit trail and published (no personal data)."""
    manual_reason = app.manual_reason
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
    )


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


# What the other features read and change of this one: they never use its repository.


async def beneficiary_known(session: AsyncSession, kind: str, beneficiary_id: uuid.UUID) -> bool:
    """Whether the jobs events named this worker (or employer): registered or placed."""
    return await repo.beneficiary_known(session, kind, beneficiary_id)


async def get_placement(session: AsyncSession, placement_id: uuid.UUID) -> Placement | None:
    return await repo.get_placement(session, placement_id)
