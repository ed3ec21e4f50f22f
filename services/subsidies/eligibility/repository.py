"""Repository of the subsidies service's eligibility feature."""

import uuid
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import func, or_, select, update
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


async def confirmation_seen(session: AsyncSession, confirmation_id: uuid.UUID) -> tuple[bool, bool]:
    """Whether this confirmation is already kept, and whether a correction of it is (one
    query)."""
    rows = (
        await session.execute(
            select(MC.confirmation_id, MC.supersedes).where(
                or_(MC.confirmation_id == confirmation_id, MC.supersedes == confirmation_id)
            )
        )
    ).all()
    return (
        any(r.confirmation_id == confirmation_id for r in rows),
        any(r.supersedes == confirmation_id for r in rows),
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


async def existing_line_keys(
    session: AsyncSession, pairs: Iterable[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which of these (program code, line key) have a line, live or not."""
    wanted = set(pairs)
    if not wanted:
        return set()
    rows = await session.execute(
        select(AL.program_code, AL.line_key).where(
            AL.line_key.in_(sorted({key for _, key in wanted})),
            AL.program_code.in_(sorted({code for code, _ in wanted})),
        )
    )
    return {(code, key) for code, key in rows} & wanted


class LiveLine(NamedTuple):
    """A grant in a live application, as the refusal rules look at it."""

    program_code: str
    worker_id: uuid.UUID
    placement_id: uuid.UUID
    employer_kind: str
    month: str
    amount_fen: int


async def live_lines_around(
    session: AsyncSession, worker_id: uuid.UUID, placement_id: uuid.UUID
) -> list[LiveLine]:
    """The live grants of the worker (any placement) and of the placement: what caps, stacking
    and the double-post rule count."""
    rows = await session.execute(
        select(
            AL.program_code,
            AL.worker_id,
            AL.placement_id,
            AL.employer_kind,
            AL.month,
            AL.amount_fen,
        )
        .join(Application, A.id == AL.application_id)
        .where(or_(AL.worker_id == worker_id, AL.placement_id == placement_id), live())
    )
    return [LiveLine(*row) for row in rows]


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
