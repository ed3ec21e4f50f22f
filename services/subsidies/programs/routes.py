"""Routes of the subsidies service's programs feature."""

from fastapi import APIRouter, status

from services.subsidies.dependencies import ProgramDep
from services.subsidies.eligibility import reevaluation
from services.subsidies.programs import repository as repo
from services.subsidies.programs import service
from services.subsidies.programs.schemas import (
    ProgramCreate,
    ProgramPublic,
    ProgramRevise,
    ReevaluateRequest,
    ReevaluationResult,
)
from services.subsidies.programs.tables import Program
from services.subsidies.roles import Admin, Staff
from shared.db import SessionDep
from shared.openapi import responses
from shared.pagination import Cursor, Limit, Page
from shared.runtime import Now

router = APIRouter(prefix="/v1/subsidies")


def program_public(program: Program) -> ProgramPublic:
    return ProgramPublic.model_validate(program, from_attributes=True)


@router.post(
    "/programs",
    tags=["programs"],
    operation_id="createProgram",
    summary="Define a subsidy program",
    status_code=status.HTTP_201_CREATED,
    response_model=ProgramPublic,
    responses=responses(401, 403, 404, 409, 422),
)
async def create_program(
    body: ProgramCreate, session: SessionDep, identity: Admin, now: Now
) -> ProgramPublic:
    """Define a program (version 1). Examples from the Haizhu–Weng'an program:

    * stable-employment subsidy (稳岗补贴): `employer_kind=haizhu_partner`,
      `beneficiary_kind=employer`, `amount_rule=one_off`, e.g. 500,000 fen after 6 consecutive
      confirmed months of a registered-poor worker;
    * workshop subsidy (扶贫车间补贴): `employer_kind=workshop`, `beneficiary_kind=workshop`,
      `amount_rule=per_person_month` — each confirmed month of a registered-poor worker is a line
      of the workshop's monthly application;
    * dedicated-post subsidy (扶贫专岗补贴): `employer_kind=dedicated_post`,
      `beneficiary_kind=worker`, `per_person_month`, e.g. 50,000 fen a month.

    `not_stackable_with` lists program codes the same person and job may not also receive."""
    return program_public(
        await service.create_program(session, body, actor=identity.actor, now=now)
    )


@router.get(
    "/programs",
    tags=["programs"],
    operation_id="listPrograms",
    summary="List current programs",
    response_model=Page[ProgramPublic],
    responses=responses(401, 403, 422),
)
async def list_programs(
    session: SessionDep, _: Staff, limit: Limit = 50, cursor: Cursor = None
) -> Page[ProgramPublic]:
    items, next_cursor = await repo.list_current_programs(session, limit=limit, cursor=cursor)
    return Page(items=[program_public(p) for p in items], next_cursor=next_cursor)


@router.get(
    "/programs/{code}",
    tags=["programs"],
    operation_id="getProgram",
    summary="Get a program's current version",
    response_model=ProgramPublic,
    responses=responses(401, 403, 404, 422),
)
async def get_program(_: Staff, program: ProgramDep) -> ProgramPublic:
    return program_public(program)


@router.get(
    "/programs/{code}/versions",
    tags=["programs"],
    operation_id="listProgramVersions",
    summary="Every version of a program",
    response_model=list[ProgramPublic],
    responses=responses(401, 403, 404, 422),
)
async def program_versions(
    _: Staff, program: ProgramDep, session: SessionDep
) -> list[ProgramPublic]:
    return [program_public(p) for p in await repo.program_versions(session, program.code)]


@router.put(
    "/programs/{code}",
    tags=["programs"],
    operation_id="reviseProgram",
    summary="Change a program's rules (new version)",
    response_model=ProgramPublic,
    responses=responses(401, 403, 404, 422),
)
async def revise_program(
    identity: Admin, program: ProgramDep, body: ProgramRevise, session: SessionDep, now: Now
) -> ProgramPublic:
    """Send the complete new rules with a reason. A new version becomes current; applications
    already made keep the version they were computed under."""
    return program_public(
        await service.revise_program(session, program, body, actor=identity.actor, now=now)
    )


@router.post(
    "/programs/{code}/reevaluate",
    tags=["programs"],
    operation_id="reevaluateProgram",
    summary="Apply a program to the employment already known (dry run first)",
    response_model=ReevaluationResult,
    responses=responses(401, 403, 404, 422),
)
async def reevaluate_program(
    identity: Admin, program: ProgramDep, body: ReevaluateRequest, session: SessionDep, now: Now
) -> ReevaluationResult:
    """Grants come from employment events as they arrive, so a program created (or widened)
    after the events never applied to them. This evaluates the program's current version over
    every known placement of its `employer_kind` and its confirmed months, exactly as the
    events would have: the same rules (poor households, consecutive months, validity, stacking,
    double posts, caps) and the same grant keys, so nothing is ever granted twice, whether this
    is run again or the events arrive again.

    `{"dry_run": true}` (the default) changes nothing and lists what would be granted
    (placement, worker, month, amount, beneficiary) and what a rule would refuse, with counts
    and the total. `{"dry_run": false}` makes those grants (applications by
    `system:eligibility`, pending verification) and records `program.reevaluated` in the audit
    trail with who ran it and the totals."""
    return await reevaluation.reevaluate_program(
        session, program, dry_run=body.dry_run, actor=identity.actor, now=now
    )
