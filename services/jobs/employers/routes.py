"""Employers: the bureau registers and reads them; a partner reads and edits its own profile."""

from typing import Annotated

from fastapi import APIRouter, Depends

from services.jobs.dependencies import BureauWriter, CurrentPartner, StaffReader
from services.jobs.employers import repository as repo
from services.jobs.employers import service
from services.jobs.employers.schemas import (
    EmployerCreate,
    EmployerKind,
    EmployerPublic,
    EmployerUpdate,
)
from services.jobs.employers.tables import Employer
from services.jobs.errors import EmployerNotFound
from shared.db import SessionDep
from shared.loader import loader
from shared.openapi import responses
from shared.pagination import Cursor, Limit, Page

router = APIRouter(prefix="/v1/jobs")

EmployerById = Annotated[
    Employer, Depends(loader(repo.get_employer, EmployerNotFound, param="employer_id"))
]


@router.post(
    "/employers",
    status_code=201,
    response_model=EmployerPublic,
    tags=["employers"],
    operation_id="createEmployer",
    summary="Register an employer",
    responses=responses(401, 403, 404, 409, 422),
)
async def create_employer(
    body: EmployerCreate, identity: BureauWriter, session: SessionDep
) -> EmployerPublic:
    """Register a Haizhu partner organisation (its credential's subject is the returned id), a
    Weng'an poverty-alleviation workshop (扶贫车间) or a dedicated-post unit (扶贫专岗).
    Publishes `jobs.employer.registered`. A second employer of the same kind and name is 409."""
    employer = await service.register_employer(session, body, identity)
    return EmployerPublic.model_validate(employer, from_attributes=True)


@router.get(
    "/employers",
    response_model=Page[EmployerPublic],
    tags=["employers"],
    operation_id="listEmployers",
    summary="List employers",
    responses=responses(401, 403, 404, 422),
)
async def list_employers(
    identity: StaffReader,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    kind: EmployerKind | None = None,
) -> Page[EmployerPublic]:
    """All employers, newest first; labour-bureau staff and auditors."""
    items, next_cursor = await repo.list_employers(session, kind=kind, limit=limit, cursor=cursor)
    return Page(
        items=[EmployerPublic.model_validate(e, from_attributes=True) for e in items],
        next_cursor=next_cursor,
    )


@router.get(
    "/employers/me",
    response_model=EmployerPublic,
    tags=["employers"],
    operation_id="getMyEmployer",
    summary="Your organisation's profile",
    responses=responses(401, 403, 404, 422),
)
async def get_my_employer(partner: CurrentPartner) -> EmployerPublic:
    """The partner organisation the credential is bound to."""
    return EmployerPublic.model_validate(partner, from_attributes=True)


@router.patch(
    "/employers/me",
    response_model=EmployerPublic,
    tags=["employers"],
    operation_id="updateMyEmployer",
    summary="Update your organisation's profile",
    responses=responses(401, 403, 404, 409, 422),
)
async def update_my_employer(
    body: EmployerUpdate, partner: CurrentPartner, session: SessionDep
) -> EmployerPublic:
    """Change the name, location, address, description or contact of your organisation. The
    kind cannot change."""
    employer = await service.update_employer(session, partner, body)
    return EmployerPublic.model_validate(employer, from_attributes=True)


@router.get(
    "/employers/{employer_id}",
    response_model=EmployerPublic,
    tags=["employers"],
    operation_id="getEmployer",
    summary="Read an employer",
    responses=responses(401, 403, 404, 422),
)
async def get_employer(identity: StaffReader, employer: EmployerById) -> EmployerPublic:
    return EmployerPublic.model_validate(employer, from_attributes=True)
