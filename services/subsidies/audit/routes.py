"""Routes of the subsidies service's audit feature."""

import uuid

from fastapi import APIRouter, Request

from services.subsidies.audit import repository as repo
from services.subsidies.audit import service as audit
from services.subsidies.audit.schemas import AuditEntryPublic, AuditVerification
from services.subsidies.roles import Auditor
from shared.db import SessionDep
from shared.openapi import responses
from shared.pagination import Cursor, Limit, Page
from shared.runtime import service_runtime

router = APIRouter(prefix="/v1/subsidies")


@router.get(
    "/audit",
    tags=["audit"],
    operation_id="listAuditEntries",
    summary="Read the audit trail",
    response_model=Page[AuditEntryPublic],
    responses=responses(401, 403, 422),
)
async def list_audit(
    session: SessionDep,
    _: Auditor,
    entity_id: uuid.UUID | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[AuditEntryPublic]:
    """Entries in the order they were written, optionally for one entity (application, batch,
    fund, program, payee)."""
    items, next_cursor = await repo.list_audit(
        session, entity_id=entity_id, limit=limit, cursor=cursor
    )
    return Page(
        items=[AuditEntryPublic.model_validate(e, from_attributes=True) for e in items],
        next_cursor=next_cursor,
    )


@router.get(
    "/audit/verify",
    tags=["audit"],
    operation_id="verifyAuditChain",
    summary="Check the audit trail's keyed hash chain and its anchors",
    response_model=AuditVerification,
    responses=responses(401, 403),
)
async def verify_audit(session: SessionDep, _: Auditor, request: Request) -> AuditVerification:
    """Recomputes every entry's keyed hash and compares the chain with the heads anchored
    outside the database (NATS key-value bucket `AUDIT_ANCHORS`); `ok` is false, with
    `first_broken_seq` and a `problem` to act on, when any entry was edited, inserted, removed
    (also from the end) or the chain recomputed outside the service, and also when the anchors
    cannot be read (NATS away). Same check as `python -m services.subsidies.audit verify`."""
    runtime = service_runtime(request)
    anchors = await audit.read_anchors_from(runtime.nats, runtime.settings.event_namespace)
    return await audit.verify_chain(session, anchors)
