"""Repository of the subsidies service's payees feature."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.payees.tables import Payee
from services.subsidies.queries import PY, keyset_after


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
        query = query.where(keyset_after(PY.created_at, PY.id, after))
    return (await session.scalars(query)).all()
