"""Repository of the subsidies service's review feature."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.queries import AL, OB, A
from services.subsidies.review.domain import AppState, ObjectionStatus
from services.subsidies.review.tables import Application, ApplicationLine, Objection
from shared.db import is_postgres
from shared.pagination import Keyset, keyset_page

BY_CREATED = Keyset(A.created_at, A.id)


async def delete(session: AsyncSession, obj: Any) -> None:
    await session.delete(obj)


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


async def lines_of_applications(
    session: AsyncSession, application_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ApplicationLine]]:
    """The lines of many applications in one query, each application's in month order."""
    found: dict[uuid.UUID, list[ApplicationLine]] = {i: [] for i in application_ids}
    if application_ids:
        query = (
            select(ApplicationLine)
            .where(AL.application_id.in_(list(application_ids)))
            .order_by(AL.month, AL.worker_id)
        )
        for line in await session.scalars(query):
            found[line.application_id].append(line)
    return found


async def objections_of_applications(
    session: AsyncSession, application_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Objection]]:
    """The objections to many applications in one query, each application's oldest first."""
    found: dict[uuid.UUID, list[Objection]] = {i: [] for i in application_ids}
    if application_ids:
        query = (
            select(Objection)
            .where(OB.application_id.in_(list(application_ids)))
            .order_by(OB.created_at)
        )
        for objection in await session.scalars(query):
            found[objection.application_id].append(objection)
    return found


async def list_applications(
    session: AsyncSession,
    *,
    state: str | None,
    program_code: str | None,
    fund_id: uuid.UUID | None,
    beneficiary_id: uuid.UUID | None,
    month: str | None,
    township: str | None = None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Application], str | None]:
    """Applications, oldest first, filtered."""
    query = select(Application).where(
        *_filters(state, program_code, fund_id, beneficiary_id, month, township)
    )
    return await keyset_page(session, query, BY_CREATED, limit=limit, cursor=cursor)


async def count_applications(
    session: AsyncSession,
    *,
    state: str | None,
    program_code: str | None,
    fund_id: uuid.UUID | None,
    beneficiary_id: uuid.UUID | None,
    month: str | None,
    township: str | None = None,
) -> int:
    """How many applications the same filters select, over all pages (one statement)."""
    query = select(func.count(A.id)).where(
        *_filters(state, program_code, fund_id, beneficiary_id, month, township)
    )
    return int(await session.scalar(query) or 0)


def _filters(
    state: str | None,
    program_code: str | None,
    fund_id: uuid.UUID | None,
    beneficiary_id: uuid.UUID | None,
    month: str | None,
    township: str | None,
) -> list[Any]:
    conditions: list[Any] = []
    if state:
        conditions.append(A.state == state)
    if program_code:
        conditions.append(A.program_code == program_code)
    if fund_id:
        conditions.append(A.fund_id == fund_id)
    if beneficiary_id:
        conditions.append(A.beneficiary_id == beneficiary_id)
    if month:
        conditions.append(A.month == month)
    if township:
        conditions.append(A.township == township)
    return conditions


def _open_objection_to_application() -> Any:
    return exists().where(OB.application_id == A.id, OB.status == ObjectionStatus.open.value)


async def notices_ended(
    session: AsyncSession, now: Any, ids: Sequence[uuid.UUID] | None = None
) -> Sequence[Application]:
    """Applications whose notice has ended, except those held by an open objection from the
    public (a clerk decides it first)."""
    query = select(Application).where(
        A.state == AppState.in_notice.value,
        A.notice_ends_at <= now,
        ~_open_objection_to_application(),
    )
    if ids is not None:
        query = query.where(A.id.in_(list(ids)))
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    query = query.order_by(A.notice_ends_at).execution_options(populate_existing=True)
    return (await session.scalars(query)).all()


async def get_objection(session: AsyncSession, objection_id: uuid.UUID) -> Objection | None:
    return await session.get(Objection, objection_id, populate_existing=True)


async def open_objection_count(session: AsyncSession, application_id: uuid.UUID) -> int:
    query = select(func.count(OB.id)).where(
        OB.application_id == application_id, OB.status == ObjectionStatus.open.value
    )
    return int(await session.scalar(query) or 0)


async def objections_from_client_since(
    session: AsyncSession, client_hash: str, since: datetime
) -> int:
    """How many objections the address with this keyed hash sent since ``since``."""
    query = select(func.count(OB.id)).where(OB.client_hash == client_hash, OB.created_at >= since)
    return int(await session.scalar(query) or 0)
