"""Repository of the subsidies service's statistics feature."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.funds.tables import Fund
from services.subsidies.queries import A, F, live
from services.subsidies.review.domain import RESERVED_STATES


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
    query = select(*keys, func.count(func.distinct(A.beneficiary_id))).where(live()).group_by(*keys)
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
