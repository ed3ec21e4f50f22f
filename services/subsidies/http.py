"""What every feature's routes share: the roles, problem responses, idempotent writes.

Routes are under ``/v1/subsidies``.

Who may do what (deny by default): ``admin`` defines funds and programs; a ``bureau_clerk``
verifies applications, creates them by hand, records objections, registers payees (so may an
``admin``) and alone runs payment batches (make, export, re-download, discard, import results,
close ended notices), never exporting a batch that pays an account they registered; a
``bureau_approver`` approves (never what they created or verified); rejecting and cancelling are
open to clerks and approvers (cancelling also to admins); ``auditor`` reads everything and
changes nothing. Partner and store keys have no business here.
"""

from typing import Annotated, Any

from fastapi import Depends
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from shared.identity import STAFF_ROLES, Identity, require_roles

Admin = Annotated[Identity, Depends(require_roles("admin"))]


Staff = Annotated[Identity, Depends(require_roles(*STAFF_ROLES))]


Clerk = Annotated[Identity, Depends(require_roles("bureau_clerk", "admin"))]


Verifier = Annotated[Identity, Depends(require_roles("bureau_clerk"))]


Approver = Annotated[Identity, Depends(require_roles("bureau_approver"))]


Reviewer = Annotated[Identity, Depends(require_roles("bureau_clerk", "bureau_approver"))]


Canceller = Annotated[Identity, Depends(require_roles("bureau_clerk", "bureau_approver", "admin"))]


# Payments are the clerk's job alone: an approver who could also pay would approve and pay
# alone, and admins define funds and programs, not payments.
Payer = Annotated[Identity, Depends(require_roles("bureau_clerk"))]


Auditor = Annotated[Identity, Depends(require_roles("auditor", "admin"))]


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "Bad request",
        401: "No or invalid identity",
        403: "Role or rule forbids it",
        404: "Not found",
        409: "Conflicts with the current state",
        413: "Body too large",
        422: "Invalid input",
    }
    return {c: {"description": text[c], "content": {"application/problem+json": {}}} for c in codes}


async def idempotent(
    guard: Any, session: AsyncSession, identity: Identity, payload: Any, status_code: int, make: Any
) -> JSONResponse:
    replay = await guard.begin(session, identity.subject_id or identity.principal_id, payload)
    if replay is not None:
        return replay
    body = jsonable_encoder(await make())
    await guard.complete(session, status_code, body)
    return JSONResponse(body, status_code=status_code)
