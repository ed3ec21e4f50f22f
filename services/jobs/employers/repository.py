"""Every query of employers. Functions take the session first and never commit."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.employers.tables import Employer
from shared.db import columns
from shared.pagination import Keyset, keyset_page

E = columns(Employer)
NEWEST = Keyset(E.created_at, E.id, newest_first=True)


async def get_employer(session: AsyncSession, employer_id: uuid.UUID) -> Employer | None:
    return await session.get(Employer, employer_id)


async def find_employer(session: AsyncSession, kind: str, name: str) -> Employer | None:
    result = await session.execute(select(Employer).where(E.kind == kind, E.name == name))
    return result.scalar_one_or_none()


async def list_employers(
    session: AsyncSession, *, kind: str | None, limit: int, cursor: str | None
) -> tuple[list[Employer], str | None]:
    query = select(Employer)
    if kind:
        query = query.where(E.kind == kind)
    return await keyset_page(session, query, NEWEST, limit=limit, cursor=cursor)


async def employers_by_id(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Employer]:
    if not ids:
        return {}
    result = await session.execute(select(Employer).where(E.id.in_(set(ids))))
    return {e.id: e for e in result.scalars()}
