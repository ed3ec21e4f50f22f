"""Service of the subsidies service's programs feature."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.audit import service as audit
from services.subsidies.errors import (
    DuplicateCode,
    FundNotFound,
    NotEligible,
)
from services.subsidies.funds import service as funds_service
from services.subsidies.programs import repository as repo
from services.subsidies.programs.schemas import ProgramCreate, ProgramRevise
from services.subsidies.programs.tables import Program


async def _check_program_refs(
    session: AsyncSession, code: str, fund_id: uuid.UUID, not_stackable_with: list[str]
) -> None:
    if await funds_service.get_fund(session, fund_id) is None:
        raise FundNotFound(fund_id)
    if code in not_stackable_with:
        raise NotEligible("A program cannot list itself in not_stackable_with.")


async def create_program(
    session: AsyncSession, body: ProgramCreate, *, actor: str, now: datetime
) -> Program:
    await audit.serialize(session)
    if await repo.current_program(session, body.code):
        raise DuplicateCode(
            f"A program with code '{body.code}' already exists; change it with "
            f"PUT /v1/subsidies/programs/{body.code}."
        )
    await _check_program_refs(session, body.code, body.fund_id, body.not_stackable_with)
    program = Program(
        **body.model_dump(), version=1, is_current=True, created_by=actor, created_at=now
    )
    session.add(program)
    await session.flush()
    await audit.record(
        session,
        entity_type="program",
        entity_id=program.id,
        action="program.created",
        actor=actor,
        at=now,
        reason=f"{program.code} v1",
    )
    return program


async def revise_program(
    session: AsyncSession, current: Program, body: ProgramRevise, *, actor: str, now: datetime
) -> Program:
    await audit.serialize(session)
    await _check_program_refs(session, current.code, body.fund_id, body.not_stackable_with)
    await repo.retire_program_versions(session, current.code)
    program = Program(
        **body.model_dump(exclude={"reason"}),
        code=current.code,
        version=current.version + 1,
        is_current=True,
        created_by=actor,
        created_at=now,
    )
    session.add(program)
    await session.flush()
    await audit.record(
        session,
        entity_type="program",
        entity_id=program.id,
        action="program.revised",
        actor=actor,
        at=now,
        reason=f"{program.code} v{program.version}: {body.reason}",
    )
    return program


# What the other features read and change of this one: they never use its repository.


async def current_program(session: AsyncSession, code: str) -> Program | None:
    return await repo.current_program(session, code)


async def get_program(session: AsyncSession, program_id: uuid.UUID) -> Program | None:
    return await repo.get_program(session, program_id)


async def current_programs(session: AsyncSession) -> Sequence[Program]:
    """The current version of every program (a handful), by code: an evaluation reads them
    once, for the programs of its placement's kind and for the stacking rules of all."""
    return await repo.current_programs(session)
