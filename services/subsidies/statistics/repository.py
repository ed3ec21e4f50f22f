"""Repository of the subsidies service's statistics feature."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.funds.tables import Fund
from services.subsidies.payments.tables import BatchLine
from services.subsidies.queries import BL, PR, A, F, live
from services.subsidies.review.domain import RESERVED_STATES
from services.subsidies.review.tables import Application


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


async def paid_in_period(
    session: AsyncSession,
    *,
    since: datetime | None,
    until: datetime | None,
    program_code: str | None,
    fund_id: uuid.UUID | None,
) -> list[Any]:
    """Per program and fund: the amount the bank paid (lines settled ``paid``) with its
    settlement in [since, until), the payments and the distinct beneficiaries paid."""
    keys = [A.program_code, A.fund_id]
    query = (
        select(
            *keys,
            func.coalesce(func.sum(BL.amount_fen), 0),
            func.count(BL.id),
            func.count(func.distinct(A.beneficiary_id)),
        )
        .select_from(BatchLine)
        .join(Application, A.id == BL.application_id)
        .where(BL.status == "paid")
        .group_by(*keys)
    )
    if since is not None:
        query = query.where(BL.settled_at >= since)
    if until is not None:
        query = query.where(BL.settled_at < until)
    if program_code:
        query = query.where(A.program_code == program_code)
    if fund_id:
        query = query.where(A.fund_id == fund_id)
    return list((await session.execute(query)).all())


async def program_names(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    """The current version's name of each program code."""
    if not codes:
        return {}
    query = select(PR.code, PR.name).where(PR.code.in_(codes), PR.is_current.is_(True))
    return {code: name for code, name in (await session.execute(query)).all()}
