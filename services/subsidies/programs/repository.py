"""Repository of the subsidies service's programs feature."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.programs.tables import Program
from services.subsidies.queries import PR
from shared.pagination import Keyset, keyset_page

BY_CREATED = Keyset(PR.created_at, PR.id)


async def get_program(session: AsyncSession, program_id: uuid.UUID) -> Program | None:
    return await session.get(Program, program_id)


async def current_program(session: AsyncSession, code: str) -> Program | None:
    return await session.scalar(select(Program).where(PR.code == code, PR.is_current.is_(True)))


async def program_versions(session: AsyncSession, code: str) -> Sequence[Program]:
    return (
        await session.scalars(select(Program).where(PR.code == code).order_by(PR.version))
    ).all()


async def list_current_programs(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> tuple[list[Program], str | None]:
    """Current versions, in the order they were written."""
    query = select(Program).where(PR.is_current.is_(True))
    return await keyset_page(session, query, BY_CREATED, limit=limit, cursor=cursor)


async def current_programs(session: AsyncSession) -> Sequence[Program]:
    """The current version of every program, by code."""
    return (
        await session.scalars(select(Program).where(PR.is_current.is_(True)).order_by(PR.code))
    ).all()


async def retire_program_versions(session: AsyncSession, code: str) -> None:
    await session.execute(
        update(Program)
        .where(PR.code == code)
        .values(is_current=False)
        .execution_options(synchronize_session=False)
    )
