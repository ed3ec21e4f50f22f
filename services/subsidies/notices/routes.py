"""Routes of the public notice (公示): no login needed (the gateway lists them among its public
routes); signed-in staff are served the same, partner and store keys refused as everywhere in
this service."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status

from services.subsidies.base import CODE_PATTERN
from services.subsidies.config import SubsidiesSettings
from services.subsidies.notices import service
from services.subsidies.notices.schemas import (
    NoticePage,
    PublicObjectionCreate,
    PublicObjectionReceipt,
)
from services.subsidies.roles import PublicViewer
from shared.db import SessionDep
from shared.openapi import responses
from shared.pagination import Cursor, Limit
from shared.runtime import Now, ServiceRuntime, VaultDep, service_runtime

router = APIRouter(prefix="/v1/subsidies")

Runtime = Annotated[ServiceRuntime[SubsidiesSettings], Depends(service_runtime)]

OBJECTION_RESPONSES = responses(
    403,
    404,
    409,
    422,
    429,
    descriptions={
        404: "No application in public notice with this id.",
        409: "The notice period is over (`notice-over`).",
        429: "Too many objections from this address in 24 hours, or too many requests from "
        "it (the gateway's limit per address); see Retry-After.",
    },
)


def client_address(request: Request) -> str | None:
    """The sender's address as the gateway saw it: the gateway drops any X-Forwarded-For a
    client sends and sets its own (the services are reachable only through it)."""
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[-1].strip()[:100] or None
    return request.client.host if request.client else None


@router.get(
    "/notices",
    tags=["notices"],
    operation_id="listNotices",
    summary="The public notice (公示): applications in notice, masked",
    response_model=NoticePage,
    responses=responses(403, 422),
)
async def list_notices(
    session: SessionDep,
    _: PublicViewer,
    now: Now,
    program_code: Annotated[str | None, Query(max_length=50, pattern=CODE_PATTERN)] = None,
    township: Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> NoticePage:
    """No login needed. Every application approved and in its public notice period now (until
    its `notice_ends_at`), oldest approval first, optionally of one program and township, with
    the total count over all pages. Each shows the program, who is paid, the people the grant is
    for with their name and ID number masked (王*明, 522***********1234) and township, month,
    amount in fen, when the notice began (the approval) and ends, and where to object
    (`objection_path`). Nothing unmasked, no ids of people."""
    return await service.notice_board(
        session, now=now, program_code=program_code, township=township, limit=limit, cursor=cursor
    )


@router.post(
    "/notices/{application_id}/objections",
    tags=["notices"],
    operation_id="objectPublicly",
    summary="Object to an application in public notice (no login)",
    status_code=status.HTTP_201_CREATED,
    response_model=PublicObjectionReceipt,
    responses=OBJECTION_RESPONSES,
)
async def object_publicly(
    application_id: uuid.UUID,
    body: PublicObjectionCreate,
    request: Request,
    session: SessionDep,
    identity: PublicViewer,
    vault: VaultDep,
    runtime: Runtime,
    now: Now,
) -> Any:
    """No login needed. Anyone may object while the application is in its notice period
    (409 `notice-over` after `notice_ends_at`; 404 for an application never in notice). Text up
    to 2,000 characters, no file; optionally a mobile number for the bureau to call back (kept
    encrypted, shown masked to the bureau's staff only). The objection reaches the clerks on
    the application (`open`, in its detail and its audit trail): it holds the payment until a
    clerk upholds it (back to verification) or dismisses it. One address may send a limited
    number of objections a day (429)."""
    return await service.object_publicly(
        session,
        application_id,
        body,
        vault=vault,
        client=client_address(request),
        per_address_per_day=runtime.settings.public_objections_per_address_per_day,
        recorded_by="public" if identity is None else f"public:{identity.actor}",
        now=now,
    )
