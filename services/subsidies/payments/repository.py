"""Repository of the subsidies service's payments feature."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.payments.tables import BatchLine, PaymentBatch
from services.subsidies.queries import BL, PB, A
from services.subsidies.review.tables import Application
from shared.db import is_postgres
from shared.pagination import Keyset, keyset_page

BY_CREATED = Keyset(PB.created_at, PB.id)


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


async def lines_of_batches(
    session: AsyncSession, batch_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[BatchLine]]:
    """The lines of many batches in one query, each batch's in line order."""
    found: dict[uuid.UUID, list[BatchLine]] = {i: [] for i in batch_ids}
    if batch_ids:
        query = select(BatchLine).where(BL.batch_id.in_(list(batch_ids))).order_by(BL.line_no)
        for line in await session.scalars(query):
            found[line.batch_id].append(line)
    return found


async def last_failed_line(session: AsyncSession, application_id: uuid.UUID) -> BatchLine | None:
    return await session.scalar(
        select(BatchLine)
        .where(BL.application_id == application_id, BL.status == "failed")
        .order_by(BL.settled_at.desc())
        .limit(1)
    )


async def list_batches(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> tuple[list[PaymentBatch], str | None]:
    """Batches, oldest first."""
    return await keyset_page(session, select(PaymentBatch), BY_CREATED, limit=limit, cursor=cursor)
