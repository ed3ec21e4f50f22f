"""Review of applications: verify, approve, reject, cancel, objections, the end of public
notice, bulk actions; every state change through ``transition`` (the table in ``domain.py``).

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
    An objection from the public is recorded open and moves nothing; while one is open the
    notice cannot end, until a clerk upholds it (back to pending_verification) or dismisses it.
    A correction taking away a month a grant needed withdraws it in the same states as cancel
    (cancelled, or back to pending_verification while other lines remain).
    Rejection, cancellation and withdrawal release a reservation; paid amounts are final.
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.audit import service as audit
from services.subsidies.errors import (
    ApplicationNotFound,
    NoticeNotFound,
    ObjectionNotFound,
    ObjectionResolved,
    ProgramNotFound,
    TooManyObjections,
)
from services.subsidies.events import (
    ApplicationAmended,
    ApplicationApproved,
    ApplicationRejected,
)
from services.subsidies.funds import service as funds_service
from services.subsidies.programs.tables import Program
from services.subsidies.review import domain as review
from services.subsidies.review import repository as repo
from services.subsidies.review.domain import AppState
from services.subsidies.review.schemas import BulkItemResult, BulkResult
from services.subsidies.review.tables import Application, ApplicationLine, Objection
from shared.errors import AppError
from shared.events import add_event

log = structlog.get_logger("subsidies")


SYSTEM_NOTICE = "system:notice-clock"
DAY = timedelta(days=1)


def facts_of(
    app: Application, actor: str, now: datetime, *, open_objections: int = 0
) -> review.Facts:
    return review.Facts(
        state=app.state,
        actor=actor,
        now=now,
        created_by=app.created_by,
        verified_by=app.verified_by,
        approved_by=app.approved_by,
        notice_ends_at=app.notice_ends_at,
        open_objections=open_objections,
    )


def check_step(
    app: Application, step: str, *, actor: str, now: datetime, open_objections: int = 0
) -> AppState:
    """The one gate of the lifecycle: ``review.domain.check`` on this application."""
    return review.check(step, facts_of(app, actor, now, open_objections=open_objections))


async def transition(
    session: AsyncSession,
    app: Application,
    step: str,
    *,
    action: str,
    actor: str,
    now: datetime,
    reason: str | None = None,
    open_objections: int = 0,
) -> None:
    """Move ``app`` by the lifecycle's ``step`` (refused unless the table allows it) and record
    it in the audit trail as ``action``."""
    to = check_step(app, step, actor=actor, now=now, open_objections=open_objections)
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


async def record_amended(
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
    )


async def load_for_change(session: AsyncSession, application_id: uuid.UUID) -> Application:
    await audit.serialize(session)
    app = await repo.get_application(session, application_id, for_update=True)
    if app is None:
        raise ApplicationNotFound(application_id)
    return app


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
    check_step(app, "verify", actor=actor, now=now)
    review.check_reviewed_amount(app.amount_fen, expected_amount_fen)
    app.verified_by, app.verified_at = actor, now
    await transition(session, app, "verify", action="verified", actor=actor, now=now, reason=note)
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
    check_step(app, "approve", actor=actor, now=now)
    review.check_reviewed_amount(app.amount_fen, expected_amount_fen)
    program = await session.get(Program, app.program_id)
    if program is None:  # a foreign key forbids it; refuse rather than approve blind
        raise ProgramNotFound(app.program_id)
    await funds_service.reserve(session, app.fund_id, app.amount_fen)
    app.approved_by, app.approved_at = actor, now
    app.notice_ends_at = review.notice_end(now, program.notice_days)
    step = "approve" if app.notice_ends_at is not None else "approve_without_notice"
    await transition(session, app, step, action="approved", actor=actor, now=now, reason=note)
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
    )
    return app


async def reject(
    session: AsyncSession, application_id: uuid.UUID, *, reason: str, actor: str, now: datetime
) -> Application:
    app = await load_for_change(session, application_id)
    check_step(app, "reject", actor=actor, now=now)
    from_state = app.state
    if review.is_reserved(app.state):
        await funds_service.release(session, app.fund_id, app.amount_fen)
    app.decision_reason = reason
    await transition(session, app, "reject", action="rejected", actor=actor, now=now, reason=reason)
    await session.flush()
    await add_event(
        session,
        ApplicationRejected(
            application_id=app.id, program_code=app.program_code, from_state=from_state
        ),
    )
    return app


async def cancel(
    session: AsyncSession, application_id: uuid.UUID, *, reason: str, actor: str, now: datetime
) -> Application:
    app = await load_for_change(session, application_id)
    check_step(app, "cancel", actor=actor, now=now)
    if review.is_reserved(app.state):
        await funds_service.release(session, app.fund_id, app.amount_fen)
    app.decision_reason = reason
    await transition(
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
    check_step(app, "object", actor=actor, now=now)
    await funds_service.release(session, app.fund_id, app.amount_fen)
    session.add(
        Objection(
            application_id=app.id,
            text=text,
            recorded_by=actor,
            created_at=now,
            status=review.ObjectionStatus.upheld.value,
        )
    )
    _send_back_to_verification(app)
    await transition(
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


def _send_back_to_verification(app: Application) -> None:
    """Both reviews start again: the approval and its notice are cleared."""
    app.verified_by = app.verified_at = app.approved_by = app.approved_at = None
    app.notice_ends_at = None


async def record_public_objection(
    session: AsyncSession,
    application_id: uuid.UUID,
    *,
    text: str,
    contact_encrypted: str | None,
    contact_masked: str | None,
    client_hash: str | None,
    per_address_per_day: int,
    recorded_by: str,
    now: datetime,
) -> Objection:
    """An objection from the public during the notice (公示): kept ``open`` on the application
    for a clerk to decide, and audited. The application stays in notice, but its notice cannot
    end (nobody is paid) until the objection is decided. Refused when the application was never
    in public notice (404, as for an unknown id), when its notice is over (409 ``notice-over``),
    and when the sender's address has sent ``per_address_per_day`` objections in the last 24
    hours (429)."""
    app = await load_for_change(session, application_id)
    if app.approved_at is None:  # never publicly posted: the public learns nothing of it
        raise NoticeNotFound(application_id)
    review.public_objection_open(facts_of(app, recorded_by, now))
    if client_hash is not None:
        sent = await repo.objections_from_client_since(session, client_hash, now - DAY)
        if sent >= per_address_per_day:
            error = TooManyObjections(
                f"This address has sent {sent} objections in the last 24 hours, the most "
                "accepted; please contact the Weng'an county labour bureau directly."
            )
            error.headers["Retry-After"] = str(int(DAY.total_seconds()))
            raise error
    objection = Objection(
        application_id=app.id,
        text=text,
        recorded_by=recorded_by,
        created_at=now,
        status=review.ObjectionStatus.open.value,
        contact_encrypted=contact_encrypted,
        contact_masked=contact_masked,
        client_hash=client_hash,
    )
    session.add(objection)
    await audit.record(
        session,
        entity_type="application",
        entity_id=app.id,
        action="objection_received",
        actor=recorded_by,
        at=now,
        reason=text,
    )
    await session.flush()
    return objection


async def resolve_objection(
    session: AsyncSession,
    application_id: uuid.UUID,
    objection_id: uuid.UUID,
    *,
    uphold: bool,
    reason: str,
    actor: str,
    now: datetime,
) -> Application:
    """A clerk decides an open objection from the public. Upheld while the application is in
    notice: it goes back to pending_verification (the reservation released, both reviews to do
    again), as a clerk's own objection does. Dismissed: the application stays where it is (its
    notice ends as usual once no objection is open). Either way it is audited with the reason."""
    app = await load_for_change(session, application_id)
    objection = await repo.get_objection(session, objection_id)
    if objection is None or objection.application_id != app.id:
        raise ObjectionNotFound(objection_id)
    if objection.status != review.ObjectionStatus.open.value:
        raise ObjectionResolved(
            f"Objection {objection_id} was already {objection.status} by "
            f"{objection.resolved_by or objection.recorded_by}."
        )
    status = review.ObjectionStatus.upheld if uphold else review.ObjectionStatus.dismissed
    objection.status = status.value
    objection.resolved_by, objection.resolved_at, objection.resolution = actor, now, reason
    session.add(objection)
    action = f"objection_{status.value}"
    if uphold and review.permits("uphold_objection", app.state):
        await funds_service.release(session, app.fund_id, app.amount_fen)
        _send_back_to_verification(app)
        await transition(
            session, app, "uphold_objection", action=action, actor=actor, now=now, reason=reason
        )
    else:
        await audit.record(
            session,
            entity_type="application",
            entity_id=app.id,
            action=action,
            actor=actor,
            at=now,
            reason=reason,
        )
    await session.flush()
    return app


async def close_ended_notices(
    session: AsyncSession, *, now: datetime, ids: Sequence[uuid.UUID] | None = None
) -> int:
    """Applications whose public notice ended without objection become ready for payment."""
    await audit.serialize(session)
    moved = 0
    for app in await repo.notices_ended(session, now, ids):  # none held by an open objection
        await transition(
            session,
            app,
            "end_notice",
            action="notice_ended",
            actor=SYSTEM_NOTICE,
            now=now,
            open_objections=await repo.open_objection_count(session, app.id),
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


# What the other features read and change of this one: they never use its repository.


async def delete(session: AsyncSession, obj: Any) -> None:
    return await repo.delete(session, obj)


async def get_application(
    session: AsyncSession, application_id: uuid.UUID, *, for_update: bool = False
) -> Application | None:
    return await repo.get_application(session, application_id, for_update=for_update)


async def lines_of(session: AsyncSession, application_id: uuid.UUID) -> Sequence[ApplicationLine]:
    return await repo.lines_of(session, application_id)
