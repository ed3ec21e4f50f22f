"""Repository of the subsidies service's programs feature."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.programs.tables import Program
from services.subsidies.queries import PR, keyset_after


async def get_program(session: AsyncSession, program_id: uuid.UUID) -> Program | None:
    return await session.get(Program, program_id)


async def current_program(session: AsyncSession, code: str) -> Program | None:
    return await session.scalar(select(Program).where(PR.code == code, PR.is_current.is_(True)))


async def program_versions(session: AsyncSession, code: str) -> Sequence[Program]:
    return (
        await session.scalars(select(Program).where(PR.code == code).order_by(PR.version))
    ).all()


async def list_current_programs(
    session: AsyncSession, *, after: tuple[Any, str] | None, limit: int
) -> Sequence[Program]:
    query = (
        select(Program).where(PR.is_current.is_(True)).order_by(PR.created_at, PR.id).limit(limit)
    )
    if after is not None:
        query = query.where(keyset_after(PR.created_at, PR.id, after))
    return (await session.scalars(query)).all()


async def programs_for_employer_kind(session: AsyncSession, kind: str) -> Sequence[Program]:
    return (
        await session.scalars(
            select(Program)
            .where(PR.is_current.is_(True), PR.employer_kind == kind)
            .order_by(PR.code)
        )
    ).all()


async def codes_not_stacking_with(session: AsyncSession, code: str) -> set[str]:
    """Codes of current programs that declare they may not be stacked with ``code``."""
    programs = (await session.scalars(select(Program).where(PR.is_current.is_(True)))).all()
    return {p.code for p in programs if code in (p.not_stackable_with or [])}


async def retire_program_versions(session: AsyncSession, code: str) -> None:
    await session.execute(
        update(Program)
        .where(PR.code == code)
        .values(is_current=False)
        .execution_options(synchronize_session=False)
    )
