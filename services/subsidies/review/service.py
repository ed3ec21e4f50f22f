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
    A correction taking away a month a grant needed withdraws it in the same states as cancel
    (cancelled, or back to pending_verification while other lines remain).
    Rejection, cancellation and withdrawal release a reservation; paid amounts are final.
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.audit import service as audit
from services.subsidies.errors import (
    ApplicationNotFound,
    ProgramNotFound,
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


def facts_of(app: Application, actor: str, now: datetime) -> review.Facts:
    return review.Facts(
        state=app.state,
        actor=actor,
        now=now,
        created_by=app.created_by,
        verified_by=app.verified_by,
        approved_by=app.approved_by,
        notice_ends_at=app.notice_ends_at,
    )


def check_step(app: Application, step: str, *, actor: str, now: datetime) -> AppState:
    """The one gate of the lifecycle: ``review.domain.check`` on this application."""
    return review.check(step, facts_of(app, actor, now))


async def transition(
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
    to = check_step(app, step, actor=actor, now=now)
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
    session.add(Objection(application_id=app.id, text=text, recorded_by=actor, created_at=now))
    app.verified_by = app.verified_at = app.approved_by = app.approved_at = None
    app.notice_ends_at = None
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


async def close_ended_notices(
    session: AsyncSession, *, now: datetime, ids: Sequence[uuid.UUID] | None = None
) -> int:
    """Applications whose public notice ended without objection become ready for payment."""
    await audit.serialize(session)
    moved = 0
    for app in await repo.notices_ended(session, now, ids):
        await transition(
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


# What the other features read and change of this one: they never use its repository.


async def delete(session: AsyncSession, obj: Any) -> None:
    return await repo.delete(session, obj)


async def get_application(
    session: AsyncSession, application_id: uuid.UUID, *, for_update: bool = False
) -> Application | None:
    return await repo.get_application(session, application_id, for_update=for_update)


async def lines_of(session: AsyncSession, application_id: uuid.UUID) -> Sequence[ApplicationLine]:
    return await repo.lines_of(session, application_id)
