"""Every query of the subsidies service. Functions take the session first and never commit."""

import uuid
import zlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.models import (
    DEAD_STATES,
    RESERVED_STATES,
    Application,
    ApplicationLine,
    AuditEntry,
    BatchLine,
    Employer,
    Fund,
    MonthConfirmation,
    Objection,
    Payee,
    PaymentBatch,
    Placement,
    Program,
    Worker,
)
from shared.db import columns, is_postgres

AUDIT_LOCK_KEY = zlib.crc32(b"subsidies:audit-chain")


F = columns(Fund)
PR = columns(Program)
A = columns(Application)
AL = columns(ApplicationLine)
MC = columns(MonthConfirmation)
PY = columns(Payee)
PB = columns(PaymentBatch)
BL = columns(BatchLine)
AU = columns(AuditEntry)
OB = columns(Objection)
PL = columns(Placement)
WK = columns(Worker)
EM = columns(Employer)


# ---------------------------------------------------------------- funds


async def get_fund(session: AsyncSession, fund_id: uuid.UUID) -> Fund | None:
    return await session.get(Fund, fund_id)


async def get_fund_by_code(session: AsyncSession, code: str) -> Fund | None:
    return await session.scalar(select(Fund).where(F.code == code))


async def list_funds(
    session: AsyncSession, *, after: tuple[Any, str] | None, limit: int
) -> Sequence[Fund]:
    query = select(Fund).order_by(F.created_at, F.id).limit(limit)
    if after is not None:
        query = query.where(_after(F.created_at, F.id, after))
    return (await session.scalars(query)).all()


async def reserve(session: AsyncSession, fund_id: uuid.UUID, amount_fen: int) -> bool:
    """Take ``amount_fen`` from what is left of the fund, in one conditional statement: two
    concurrent approvals can never both see the same money as free (RELIABILITY #17)."""
    result = await session.execute(
        update(Fund)
        .where(F.id == fund_id, F.budget_fen - F.reserved_fen - F.paid_fen >= amount_fen)
        .values(reserved_fen=F.reserved_fen + amount_fen)
        .execution_options(synchronize_session=False)
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def release(session: AsyncSession, fund_id: uuid.UUID, amount_fen: int) -> None:
    await session.execute(
        update(Fund)
        .where(F.id == fund_id)
        .values(reserved_fen=F.reserved_fen - amount_fen)
        .execution_options(synchronize_session=False)
    )


async def settle(session: AsyncSession, fund_id: uuid.UUID, amount_fen: int) -> None:
    """Move a reserved amount to paid."""
    await session.execute(
        update(Fund)
        .where(F.id == fund_id)
        .values(reserved_fen=F.reserved_fen - amount_fen, paid_fen=F.paid_fen + amount_fen)
        .execution_options(synchronize_session=False)
    )


async def set_budget(session: AsyncSession, fund_id: uuid.UUID, budget_fen: int) -> bool:
    result = await session.execute(
        update(Fund)
        .where(F.id == fund_id, F.reserved_fen + F.paid_fen <= budget_fen)
        .values(budget_fen=budget_fen)
        .execution_options(synchronize_session=False)
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def refresh(session: AsyncSession, obj: Any) -> None:
    await session.refresh(obj)


async def delete(session: AsyncSession, obj: Any) -> None:
    await session.delete(obj)


# ---------------------------------------------------------------- programs


async def get_program(session: AsyncSession, program_id: uuid.UUID) -> Program | None:
    return await session.get(Program, program_id)


async def current_program(session: AsyncSession, code: str) -> Program | None:
    return await session.scalar(select(Program).where(PR.code == code, PR.is_current.is_(True)))


async def program_versions(session: AsyncSession, code: str) -> Sequence[Program]:
    return (
        await session.scalars(select(Program).where(PR.code == code).order_by(PR.version))
    ).all()


async def list_current_programs(
    session: AsyncSession, *, after: tuple[Any, str] | None, limit: int
) -> Sequence[Program]:
    query = (
        select(Program).where(PR.is_current.is_(True)).order_by(PR.created_at, PR.id).limit(limit)
    )
    if after is not None:
        query = query.where(_after(PR.created_at, PR.id, after))
    return (await session.scalars(query)).all()


async def programs_for_employer_kind(session: AsyncSession, kind: str) -> Sequence[Program]:
    return (
        await session.scalars(
            select(Program)
            .where(PR.is_current.is_(True), PR.employer_kind == kind)
            .order_by(PR.code)
        )
    ).all()


async def codes_not_stacking_with(session: AsyncSession, code: str) -> set[str]:
    """Codes of current programs that declare they may not be stacked with ``code``."""
    programs = (await session.scalars(select(Program).where(PR.is_current.is_(True)))).all()
    return {p.code for p in programs if code in (p.not_stackable_with or [])}


async def retire_program_versions(session: AsyncSession, code: str) -> None:
    await session.execute(
        update(Program)
        .where(PR.code == code)
        .values(is_current=False)
        .execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------------- employment view


async def get_employer(session: AsyncSession, employer_id: uuid.UUID) -> Employer | None:
    return await session.get(Employer, employer_id)


async def get_worker(session: AsyncSession, worker_id: uuid.UUID) -> Worker | None:
    return await session.get(Worker, worker_id)


async def get_placement(session: AsyncSession, placement_id: uuid.UUID) -> Placement | None:
    return await session.get(Placement, placement_id)


async def placements_of_kind(session: AsyncSession, kind: str) -> Sequence[Placement]:
    return (
        await session.scalars(
            select(Placement)
            .where(PL.employer_kind == kind)
            .order_by(PL.start_date, PL.placement_id)
        )
    ).all()


async def beneficiary_known(session: AsyncSession, kind: str, beneficiary_id: uuid.UUID) -> bool:
    """Whether the jobs events named this worker (or employer): registered or placed."""
    if kind == "worker":
        queries = [
            select(WK.worker_id).where(WK.worker_id == beneficiary_id),
            select(PL.placement_id).where(PL.worker_id == beneficiary_id),
        ]
    else:
        queries = [
            select(EM.employer_id).where(EM.employer_id == beneficiary_id),
            select(PL.placement_id).where(PL.employer_id == beneficiary_id),
        ]
    for query in queries:
        if await session.scalar(query.limit(1)) is not None:
            return True
    return False


async def get_confirmation(
    session: AsyncSession, confirmation_id: uuid.UUID
) -> MonthConfirmation | None:
    return await session.get(MonthConfirmation, confirmation_id)


async def confirmations_for(
    session: AsyncSession, placement_id: uuid.UUID
) -> Sequence[MonthConfirmation]:
    return (
        await session.scalars(
            select(MonthConfirmation)
            .where(MC.placement_id == placement_id)
            .order_by(MC.month, MC.received_at)
        )
    ).all()


async def superseders_of(session: AsyncSession, confirmation_id: uuid.UUID) -> int:
    return (
        await session.scalar(
            select(func.count())
            .select_from(MonthConfirmation)
            .where(MC.supersedes == confirmation_id)
        )
        or 0
    )


async def mark_superseded(session: AsyncSession, confirmation_id: uuid.UUID) -> None:
    await session.execute(
        update(MonthConfirmation)
        .where(MC.confirmation_id == confirmation_id)
        .values(superseded=True)
        .execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------------- lines and applications


def _live() -> Any:
    return A.state.not_in([s.value for s in DEAD_STATES])


async def lines_on_placement(
    session: AsyncSession, placement_id: uuid.UUID
) -> Sequence[ApplicationLine]:
    return (
        await session.scalars(
            select(ApplicationLine)
            .where(AL.placement_id == placement_id)
            .order_by(AL.program_code, AL.month)
        )
    ).all()


async def line_exists(session: AsyncSession, program_code: str, line_key: str) -> bool:
    return (
        await session.scalar(
            select(AL.id).where(AL.program_code == program_code, AL.line_key == line_key)
        )
        is not None
    )


async def live_line_on_placement(
    session: AsyncSession, placement_id: uuid.UUID, program_codes: set[str]
) -> str | None:
    if not program_codes:
        return None
    return await session.scalar(
        select(AL.program_code)
        .join(Application, A.id == AL.application_id)
        .where(
            AL.placement_id == placement_id,
            AL.program_code.in_(sorted(program_codes)),
            _live(),
        )
        .limit(1)
    )


async def live_post_line_in_month(
    session: AsyncSession, worker_id: uuid.UUID, month: str, other_than: uuid.UUID
) -> bool:
    return (
        await session.scalar(
            select(AL.id)
            .join(Application, A.id == AL.application_id)
            .where(
                AL.worker_id == worker_id,
                AL.month == month,
                AL.employer_kind == "dedicated_post",
                AL.placement_id != other_than,
                _live(),
            )
            .limit(1)
        )
        is not None
    )


async def live_totals_for_worker(
    session: AsyncSession, program_code: str, worker_id: uuid.UUID
) -> tuple[int, int]:
    row = (
        await session.execute(
            select(
                func.count(AL.id),
                func.coalesce(func.sum(AL.amount_fen), 0),
            )
            .join(Application, A.id == AL.application_id)
            .where(
                AL.program_code == program_code,
                AL.worker_id == worker_id,
                _live(),
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def live_total_for_beneficiary(
    session: AsyncSession, program_code: str, beneficiary_id: uuid.UUID
) -> int:
    return int(
        await session.scalar(
            select(func.coalesce(func.sum(A.amount_fen), 0)).where(
                A.program_code == program_code,
                A.beneficiary_id == beneficiary_id,
                _live(),
            )
        )
        or 0
    )


async def open_application(
    session: AsyncSession, program_id: uuid.UUID, beneficiary_id: uuid.UUID, month: str
) -> Application | None:
    """The not-yet-verified automatic application a new person-month line joins."""
    return await session.scalar(
        select(Application)
        .where(
            A.program_id == program_id,
            A.beneficiary_id == beneficiary_id,
            A.month == month,
            A.manual_reason.is_(None),
            A.state == "pending_verification",
        )
        .order_by(A.created_at)
        .limit(1)
    )


async def get_application(
    session: AsyncSession, application_id: uuid.UUID, *, for_update: bool = False
) -> Application | None:
    query = select(Application).where(A.id == application_id)
    if for_update and is_postgres(session):
        query = query.with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


async def lines_of(session: AsyncSession, application_id: uuid.UUID) -> Sequence[ApplicationLine]:
    return (
        await session.scalars(
            select(ApplicationLine)
            .where(AL.application_id == application_id)
            .order_by(AL.month, AL.worker_id)
        )
    ).all()


async def objections_of(session: AsyncSession, application_id: uuid.UUID) -> Sequence[Objection]:
    return (
        await session.scalars(
            select(Objection).where(OB.application_id == application_id).order_by(OB.created_at)
        )
    ).all()


async def list_applications(
    session: AsyncSession,
    *,
    state: str | None,
    program_code: str | None,
    fund_id: uuid.UUID | None,
    beneficiary_id: uuid.UUID | None,
    month: str | None,
    after: tuple[Any, str] | None,
    limit: int,
) -> Sequence[Application]:
    query = select(Application).order_by(A.created_at, A.id).limit(limit)
    if state:
        query = query.where(A.state == state)
    if program_code:
        query = query.where(A.program_code == program_code)
    if fund_id:
        query = query.where(A.fund_id == fund_id)
    if beneficiary_id:
        query = query.where(A.beneficiary_id == beneficiary_id)
    if month:
        query = query.where(A.month == month)
    if after is not None:
        query = query.where(_after(A.created_at, A.id, after))
    return (await session.scalars(query)).all()


async def notices_ended(
    session: AsyncSession, now: Any, ids: Sequence[uuid.UUID] | None = None
) -> Sequence[Application]:
    query = select(Application).where(A.state == "in_notice", A.notice_ends_at <= now)
    if ids is not None:
        query = query.where(A.id.in_(list(ids)))
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    query = query.order_by(A.notice_ends_at).execution_options(populate_existing=True)
    return (await session.scalars(query)).all()


async def ready_applications(
    session: AsyncSession, fund_id: uuid.UUID | None
) -> Sequence[Application]:
    query = select(Application).where(A.state == "ready_for_payment")
    if fund_id is not None:
        query = query.where(A.fund_id == fund_id)
    if is_postgres(session):
        query = query.with_for_update()
    query = query.order_by(A.created_at).execution_options(populate_existing=True)
    return (await session.scalars(query)).all()


async def applications_by_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> Sequence[Application]:
    query = select(Application).where(A.id.in_(list(ids)))
    if is_postgres(session):
        query = query.with_for_update()
    return (await session.scalars(query.execution_options(populate_existing=True))).all()


# ---------------------------------------------------------------- payees


async def active_payee(
    session: AsyncSession, beneficiary_kind: str, beneficiary_id: uuid.UUID
) -> Payee | None:
    return await session.scalar(
        select(Payee).where(
            PY.beneficiary_kind == beneficiary_kind,
            PY.beneficiary_id == beneficiary_id,
            PY.active.is_(True),
        )
    )


async def retire_payees(
    session: AsyncSession, beneficiary_kind: str, beneficiary_id: uuid.UUID
) -> None:
    await session.execute(
        update(Payee)
        .where(PY.beneficiary_kind == beneficiary_kind, PY.beneficiary_id == beneficiary_id)
        .values(active=False)
        .execution_options(synchronize_session=False)
    )


async def get_payee(session: AsyncSession, payee_id: uuid.UUID) -> Payee | None:
    return await session.get(Payee, payee_id)


async def list_payees(
    session: AsyncSession,
    *,
    beneficiary_id: uuid.UUID | None,
    after: tuple[Any, str] | None,
    limit: int,
) -> Sequence[Payee]:
    query = select(Payee).order_by(PY.created_at, PY.id).limit(limit)
    if beneficiary_id:
        query = query.where(PY.beneficiary_id == beneficiary_id)
    if after is not None:
        query = query.where(_after(PY.created_at, PY.id, after))
    return (await session.scalars(query)).all()


# ---------------------------------------------------------------- batches


async def get_batch(
    session: AsyncSession, batch_id: uuid.UUID, *, for_update: bool = False
) -> PaymentBatch | None:
    query = select(PaymentBatch).where(PB.id == batch_id)
    if for_update and is_postgres(session):
        query = query.with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


async def batch_lines(session: AsyncSession, batch_id: uuid.UUID) -> Sequence[BatchLine]:
    return (
        await session.scalars(select(BatchLine).where(BL.batch_id == batch_id).order_by(BL.line_no))
    ).all()


async def last_failed_line(session: AsyncSession, application_id: uuid.UUID) -> BatchLine | None:
    return await session.scalar(
        select(BatchLine)
        .where(BL.application_id == application_id, BL.status == "failed")
        .order_by(BL.settled_at.desc())
        .limit(1)
    )


async def list_batches(
    session: AsyncSession, *, after: tuple[Any, str] | None, limit: int
) -> Sequence[PaymentBatch]:
    query = select(PaymentBatch).order_by(PB.created_at, PB.id).limit(limit)
    if after is not None:
        query = query.where(_after(PB.created_at, PB.id, after))
    return (await session.scalars(query)).all()


# ---------------------------------------------------------------- audit


async def lock_audit_chain(session: AsyncSession) -> None:
    """Serialise appends so two transactions never chain onto the same predecessor."""
    if is_postgres(session):
        await session.execute(select(func.pg_advisory_xact_lock(AUDIT_LOCK_KEY)))


async def last_audit_hash(session: AsyncSession) -> str | None:
    return await session.scalar(select(AU.hash).order_by(AU.seq.desc()).limit(1))


async def audit_head(session: AsyncSession) -> tuple[int, str] | None:
    row = (await session.execute(select(AU.seq, AU.hash).order_by(AU.seq.desc()).limit(1))).first()
    return None if row is None else (row.seq, row.hash)


async def export_entry(session: AsyncSession, batch_id: uuid.UUID) -> AuditEntry | None:
    """The entry written with a batch's export (its file's trailer names it)."""
    return await session.scalar(
        select(AuditEntry)
        .where(AU.entity_id == batch_id, AU.action == "batch.exported")
        .order_by(AU.seq)
        .limit(1)
    )


async def audit_entries_from(
    session: AsyncSession, after_seq: int, limit: int
) -> Sequence[AuditEntry]:
    return (
        await session.scalars(
            select(AuditEntry).where(AU.seq > after_seq).order_by(AU.seq).limit(limit)
        )
    ).all()


async def list_audit(
    session: AsyncSession, *, entity_id: uuid.UUID | None, after_seq: int, limit: int
) -> Sequence[AuditEntry]:
    query = select(AuditEntry).where(AU.seq > after_seq).order_by(AU.seq)
    if entity_id:
        query = query.where(AU.entity_id == entity_id)
    return (await session.scalars(query.limit(limit))).all()


# ---------------------------------------------------------------- statistics


async def all_funds(session: AsyncSession, fund_id: uuid.UUID | None) -> Sequence[Fund]:
    query = select(Fund).order_by(F.code)
    if fund_id:
        query = query.where(F.id == fund_id)
    return (await session.scalars(query)).all()


async def application_stats(
    session: AsyncSession,
    *,
    group_by: list[str],
    program_code: str | None,
    fund_id: uuid.UUID | None,
    township: str | None,
    from_month: str | None,
    to_month: str | None,
) -> list[Any]:
    keys = [A.program_code, A.fund_id]
    keys += [getattr(A, g) for g in group_by]
    query = select(
        *keys,
        A.state,
        func.count(A.id),
        func.coalesce(func.sum(A.amount_fen), 0),
    ).group_by(*keys, A.state)
    query = _stats_filters(query, program_code, fund_id, township, from_month, to_month)
    return list((await session.execute(query)).all())


async def beneficiary_counts(
    session: AsyncSession,
    *,
    group_by: list[str],
    program_code: str | None,
    fund_id: uuid.UUID | None,
    township: str | None,
    from_month: str | None,
    to_month: str | None,
) -> list[Any]:
    """Distinct beneficiaries of live applications per group."""
    keys = [A.program_code, A.fund_id]
    keys += [getattr(A, g) for g in group_by]
    query = (
        select(*keys, func.count(func.distinct(A.beneficiary_id))).where(_live()).group_by(*keys)
    )
    query = _stats_filters(query, program_code, fund_id, township, from_month, to_month)
    return list((await session.execute(query)).all())


def _stats_filters(
    query: Any,
    program_code: str | None,
    fund_id: uuid.UUID | None,
    township: str | None,
    from_month: str | None,
    to_month: str | None,
) -> Any:
    if program_code:
        query = query.where(A.program_code == program_code)
    if fund_id:
        query = query.where(A.fund_id == fund_id)
    if township:
        query = query.where(A.township == township)
    if from_month:
        query = query.where(A.month >= from_month)
    if to_month:
        query = query.where(A.month <= to_month)
    return query


RESERVED_STATE_VALUES = tuple(s.value for s in RESERVED_STATES)


# ---------------------------------------------------------------- helpers


def _after(created_col: Any, id_col: Any, after: tuple[Any, str]) -> Any:
    created, ident = after
    return or_(created_col > created, and_(created_col == created, id_col > uuid.UUID(ident)))
