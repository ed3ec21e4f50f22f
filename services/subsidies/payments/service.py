"""Service of the subsidies service's payments feature."""

import io
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.audit import service as audit
from services.subsidies.audit import service as audit_service
from services.subsidies.audit.tables import AuditEntry
from services.subsidies.errors import (
    BatchContentInvalid,
    BatchNotDraft,
    BatchNotExported,
    BatchNotFound,
    BatchPayeeReplaced,
    EmptyBatch,
    MakerChecker,
)
from services.subsidies.events import BatchDiscarded, BatchExported
from services.subsidies.payees import service as payees_service
from services.subsidies.payees.service import PAYEE_CONTEXT
from services.subsidies.payees.tables import Payee
from services.subsidies.payments import domain as rules
from services.subsidies.payments import repository as repo
from services.subsidies.payments.schemas import SkippedApplication
from services.subsidies.payments.tables import BatchLine, BatchState, PaymentBatch
from services.subsidies.review import domain as review
from services.subsidies.review import service as review_service
from services.subsidies.review.domain import AppState
from services.subsidies.review.service import close_ended_notices, transition
from services.subsidies.review.tables import Application
from shared import csvsafe
from shared.events import add_event
from shared.pii import PiiVault


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
    chosen, problems = await _payable(session, apps, problems)
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
    batch = await _write_batch(session, chosen, skipped, actor=actor, now=now)
    return batch, skipped


async def _payable(
    session: AsyncSession, apps: list[Application], problems: list[dict[str, Any]]
) -> tuple[list[tuple[Application, Payee]], list[dict[str, Any]]]:
    """The applications that can be paid now, each with its payee; the others are added to
    ``problems`` with the reason ``payments.domain.unpayable`` gives."""
    chosen: list[tuple[Application, Payee]] = []
    for app in apps:
        payee = failed = None
        if rules.may_batch(app):
            payee = await payees_service.active_payee(
                session, app.beneficiary_kind, app.beneficiary_id
            )
        if payee is not None and app.state == AppState.failed.value:
            failed = await repo.last_failed_line(session, app.id)
        problem = rules.unpayable(
            app, payee.id if payee else None, failed.payee_id if failed else None
        )
        if problem is not None:
            problems.append({"application_id": str(app.id), "problem": problem})
            continue
        assert payee is not None
        chosen.append((app, payee))
    return chosen, problems


async def _write_batch(
    session: AsyncSession,
    chosen: list[tuple[Application, Payee]],
    skipped: list[SkippedApplication],
    *,
    actor: str,
    now: datetime,
) -> PaymentBatch:
    """A draft batch of ``chosen``: a line per application (paid to that payee), each
    application ``in_batch``, and the batch in the audit trail."""
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
        await transition(
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
    return batch


DEFAULT_FORMAT = rules.FileFormat()

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
    session: AsyncSession,
    lines: Sequence[BatchLine],
    vault: PiiVault,
    exported: AuditEntry,
    fmt: rules.FileFormat,
) -> bytes:
    """The bank payment file of these lines, each paid to the payee recorded on the line (a
    payee row is never changed, only retired, so a re-download is the same file), in ``fmt``'s
    encoding and amount unit. Its last line is a trailer naming the audit entry of the export:
    the audit head, kept outside the database wherever the file goes; it is ASCII, so the same
    in every format. Names typed by users never reach a spreadsheet as a formula
    (shared.csvsafe)."""
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\r\n")
    writer.writerow([fmt.amount_column if c == "amount_fen" else c for c in EXPORT_COLUMNS])
    payees = await payees_service.payees_by_id(session, {line.payee_id for line in lines})
    for line in lines:
        payee = payees.get(line.payee_id)
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
                fmt.amount(line.amount_fen),
                "CNY",
                f"SUB-{line.application_id}",
            ]
        )
    writer.writerow([audit.trailer(exported)])
    return _encode(out.getvalue(), fmt)


def _encode(text: str, fmt: rules.FileFormat) -> bytes:
    """The file's bytes; refused (422, naming the lines, never the names) when a holder's name
    has a character the encoding cannot write, rather than a file with ``?`` in a name."""
    try:
        return text.encode(fmt.encoding.value)
    except UnicodeEncodeError:
        rows = rules.unencodable_rows(text.split("\r\n"), fmt.encoding)
        raise BatchContentInvalid(
            f"{len(rows)} line(s) hold characters {fmt.encoding.value} cannot write; nothing "
            "was exported. Choose encoding=gb18030 or utf-8-sig.",
            [
                {"line_no": row - 1, "problem": f"not writable in {fmt.encoding.value}"}
                for row in rows
            ],
        ) from None


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
    """Refuse the export as ``payments.domain.export_refusals`` says: a line paying an account
    no longer current, or an account the exporter set up."""
    payees = await payees_service.payees_by_id(session, {line.payee_id for line in lines})
    replaced, own = rules.export_refusals(lines, payees, actor)
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
    session: AsyncSession,
    batch_id: uuid.UUID,
    *,
    vault: PiiVault,
    actor: str,
    now: datetime,
    fmt: rules.FileFormat = DEFAULT_FORMAT,
) -> bytes:
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
        reason=None if fmt == DEFAULT_FORMAT else f"file {fmt.describe()}",
    )
    content = await _render_payment_file(session, lines, vault, exported, fmt)
    audit.anchor_after_commit(session)
    await add_event(
        session,
        BatchExported(batch_id=batch.id, line_count=batch.line_count, total_fen=batch.total_fen),
    )
    await session.flush()
    return content


async def download_batch_file(
    session: AsyncSession,
    batch_id: uuid.UUID,
    *,
    vault: PiiVault,
    actor: str,
    now: datetime,
    fmt: rules.FileFormat = DEFAULT_FORMAT,
) -> bytes:
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
    exported = await audit_service.export_entry(session, batch.id)
    if exported is None:  # written in the export's own transaction: the audit trail is damaged
        raise BatchContentInvalid(
            f"Batch {batch.id} has no audit entry of its export; run the audit verification.", []
        )
    lines = await repo.batch_lines(session, batch.id)
    content = await _render_payment_file(session, lines, vault, exported, fmt)
    await audit.record(
        session,
        entity_type="batch",
        entity_id=batch.id,
        action="batch.file_downloaded",
        actor=actor,
        at=now,
        reason=f"re-download of the file exported by {batch.exported_by} at "
        f"{batch.exported_at.isoformat() if batch.exported_at else '?'}"
        + ("" if fmt == DEFAULT_FORMAT else f", {fmt.describe()}"),
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
        app = await review_service.get_application(session, line.application_id, for_update=True)
        if app is not None and review.permits("unbatch", app.state):
            await transition(
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
    )
    await session.flush()
    return batch


# What the other features read and change of this one: they never use its repository.


async def batch_lines(session: AsyncSession, batch_id: uuid.UUID) -> Sequence[BatchLine]:
    return await repo.batch_lines(session, batch_id)


async def get_batch(
    session: AsyncSession, batch_id: uuid.UUID, *, for_update: bool = False
) -> PaymentBatch | None:
    return await repo.get_batch(session, batch_id, for_update=for_update)
