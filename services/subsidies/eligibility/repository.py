"""Repository of the subsidies service's eligibility feature."""

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.eligibility.tables import Employer, MonthConfirmation, Placement, Worker
from services.subsidies.queries import AL, EM, MC, PL, WK, A, live
from services.subsidies.review.tables import Application, ApplicationLine


async def get_employer(session: AsyncSession, employer_id: uuid.UUID) -> Employer | None:
    return await session.get(Employer, employer_id)


async def get_worker(
    session: AsyncSession, worker_id: uuid.UUID, *, for_update: bool = False
) -> Worker | None:
    """The worker, locked for the rest of the transaction with ``for_update`` (two events of
    one worker applied by two consumers take turns)."""
    return await session.get(Worker, worker_id, with_for_update=for_update)


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
            live(),
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
                live(),
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
                live(),
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
                live(),
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
