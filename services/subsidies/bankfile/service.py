"""Service of the subsidies service's bankfile feature."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.audit import service as audit
from services.subsidies.bankfile import domain as bankfile
from services.subsidies.bankfile.schemas import ReconcileResult
from services.subsidies.errors import BatchNotDraft, BatchNotFound
from services.subsidies.events import ApplicationFailed, ApplicationPaid, BatchReconciled
from services.subsidies.funds import service as funds_service
from services.subsidies.payments import service as payments_service
from services.subsidies.payments.tables import BatchLine, BatchState, PaymentBatch
from services.subsidies.review.service import load_for_change, transition
from shared.events import add_event


async def import_results(
    session: AsyncSession,
    batch_id: uuid.UUID,
    raw: bytes,
    *,
    actor: str,
    now: datetime,
    charset: str | None = None,
) -> ReconcileResult:
    """Reconcile a batch with the bank's result file. Everything is checked before anything is
    applied; a line already settled the same way is left alone, so re-importing is harmless."""
    await audit.serialize(session)
    batch = await payments_service.get_batch(session, batch_id, for_update=True)
    if batch is None:
        raise BatchNotFound(batch_id)
    if batch.state not in (BatchState.exported.value, BatchState.reconciled.value):
        raise BatchNotDraft(
            f"The batch is {batch.state}, never exported; there can be no bank result for it."
        )
    lines = {line.id: line for line in await payments_service.batch_lines(session, batch.id)}
    parsed = bankfile.parse_results(raw, {i: line.amount_fen for i, line in lines.items()}, charset)
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
        await funds_service.settle(session, app.fund_id, line.amount_fen)
        await transition(
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
        await transition(
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
    await add_event(session, event)
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
    )
