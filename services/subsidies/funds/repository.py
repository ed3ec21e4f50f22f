"""Repository of the subsidies service's funds feature."""

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.funds.tables import Fund
from services.subsidies.queries import F
from shared.pagination import Keyset, keyset_page

BY_CREATED = Keyset(F.created_at, F.id)


async def get_fund(session: AsyncSession, fund_id: uuid.UUID) -> Fund | None:
    return await session.get(Fund, fund_id)


async def get_fund_by_code(session: AsyncSession, code: str) -> Fund | None:
    return await session.scalar(select(Fund).where(F.code == code))


async def list_funds(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> tuple[list[Fund], str | None]:
    """Funds, oldest first."""
    return await keyset_page(session, select(Fund), BY_CREATED, limit=limit, cursor=cursor)


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
