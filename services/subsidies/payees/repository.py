"""Repository of the subsidies service's payees feature."""

import uuid
from collections.abc import Collection

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.payees.tables import Payee
from services.subsidies.queries import PY
from shared.pagination import Keyset, keyset_page

BY_CREATED = Keyset(PY.created_at, PY.id)


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


async def payees_by_id(
    session: AsyncSession, payee_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Payee]:
    """Many payees in one query."""
    if not payee_ids:
        return {}
    query = select(Payee).where(PY.id.in_(sorted(payee_ids)))
    return {payee.id: payee for payee in await session.scalars(query)}


async def list_payees(
    session: AsyncSession,
    *,
    beneficiary_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Payee], str | None]:
    """Payees (retired ones too), oldest first."""
    query = select(Payee)
    if beneficiary_id:
        query = query.where(PY.beneficiary_id == beneficiary_id)
    return await keyset_page(session, query, BY_CREATED, limit=limit, cursor=cursor)
