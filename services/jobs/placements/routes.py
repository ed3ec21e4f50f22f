"""Placements: hires, monthly confirmations and corrections, the end of a placement."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from services.jobs.dependencies import (
    JobsRuntime,
    PartnerOrBureau,
    PartnerOrStaffReader,
    current_partner,
)
from services.jobs.errors import NotYourOrganisation, PlacementNotFound
from services.jobs.placements import batch, service
from services.jobs.placements import repository as repo
from services.jobs.placements.schemas import (
    ConfirmationBatch,
    ConfirmationBatchResult,
    ConfirmationCreate,
    ConfirmationPublic,
    PlacementCreate,
    PlacementEnd,
    PlacementPublic,
)
from services.jobs.placements.tables import Confirmation, Placement
from services.jobs.workers import service as workers
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep, idempotent, scope_of
from shared.loader import loader
from shared.openapi import responses
from shared.pagination import Cursor, Limit, Page
from shared.runtime import Today

router = APIRouter(prefix="/v1/jobs")


PlacementById = Annotated[
    Placement, Depends(loader(repo.get_placement, PlacementNotFound, param="placement_id"))
]


def placement_public(
    placement: Placement, current: dict[str, Confirmation], worker_name: str = ""
) -> PlacementPublic:
    data = placement.model_dump() | {"worker_name": worker_name}
    data["confirmed_months"] = sorted(current)
    data["next_month_to_confirm"] = service.next_month_to_confirm(placement, current)
    return PlacementPublic.model_validate(data)


def confirmation_public(c: Confirmation, superseded: bool) -> ConfirmationPublic:
    return ConfirmationPublic(
        id=c.id,
        placement_id=c.placement_id,
        month=c.month,
        wage_paid_fen=c.wage_paid_fen,
        supersedes=c.supersedes,
        superseded=superseded,
        note=c.note,
        created_at=c.created_at,
    )


@router.post(
    "/placements",
    status_code=201,
    response_model=PlacementPublic,
    tags=["placements"],
    operation_id="createPlacement",
    summary="Record a hire",
    responses=responses(401, 403, 404, 409, 422),
)
async def create_placement(
    body: PlacementCreate,
    identity: PartnerOrBureau,
    session: SessionDep,
    guard: IdempotencyDep,
    today: Today,
) -> JSONResponse:
    """A partner records a hire on its own open posting (`posting_id`): the hire counts against
    the openings, and the last opening turns the posting `filled`. Labour-bureau staff record a
    placement in a workshop or dedicated post (`employer_id`). One active placement per worker
    and employer. Publishes `jobs.placement.started`. Send an `Idempotency-Key` to retry safely."""

    async def make() -> PlacementPublic:
        partner = await current_partner(identity, session) if identity.role == "partner" else None
        worker = await workers.get_worker(session, body.worker_id)
        placement = await service.start_placement(
            session, body, worker, identity, today, partner=partner
        )
        return placement_public(placement, {}, worker.name)

    return await idempotent(
        guard,
        session,
        scope=scope_of(identity),
        payload=body.model_dump(mode="json"),
        status_code=201,
        make=make,
    )


@router.get(
    "/placements",
    response_model=Page[PlacementPublic],
    tags=["placements"],
    operation_id="listPlacements",
    summary="List placements",
    responses=responses(401, 403, 404, 422),
)
async def list_placements(
    identity: PartnerOrStaffReader,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    worker_id: uuid.UUID | None = None,
    employer_id: uuid.UUID | None = None,
    status: Literal["active", "ended"] | None = None,
) -> Page[PlacementPublic]:
    """A partner sees its own placements; staff and auditors all of them."""
    if identity.role == "partner":
        own = await current_partner(identity, session)
        if employer_id is not None and employer_id != own.id:
            raise NotYourOrganisation("employer's placement list")
        employer_id = own.id
    items, next_cursor = await repo.list_placements(
        session,
        employer_id=employer_id,
        worker_id=worker_id,
        status=status,
        limit=limit,
        cursor=cursor,
    )
    current = await repo.current_confirmations(session, [p.id for p in items])
    names = await repo.worker_names(session, items)
    return Page(
        items=[placement_public(p, current[p.id], names.get(p.worker_id, "")) for p in items],
        next_cursor=next_cursor,
    )


@router.get(
    "/placements/{placement_id}",
    response_model=PlacementPublic,
    tags=["placements"],
    operation_id="getPlacement",
    summary="Read a placement",
    responses=responses(401, 403, 404, 422),
)
async def get_placement(
    identity: PartnerOrStaffReader, placement: PlacementById, session: SessionDep
) -> PlacementPublic:
    service.ensure_can_read(placement, identity)
    current = await repo.current_confirmations(session, [placement.id])
    names = await repo.worker_names(session, [placement])
    return placement_public(placement, current[placement.id], names.get(placement.worker_id, ""))


@router.post(
    "/placements/{placement_id}/confirmations",
    status_code=201,
    response_model=ConfirmationPublic,
    tags=["placements"],
    operation_id="confirmPlacementMonth",
    summary="Confirm a month of employment (or correct one)",
    responses=responses(401, 403, 404, 409, 422),
)
async def confirm_month(
    body: ConfirmationCreate,
    identity: PartnerOrBureau,
    placement: PlacementById,
    session: SessionDep,
    guard: IdempotencyDep,
    today: Today,
) -> JSONResponse:
    """Confirm that the worker was still employed in `month` and what wage was paid. Months go in
    order from the start month without gaps, never a month in the future and never after the
    placement ended. To correct a month, send it again with `corrects` naming the record it
    replaces: a new record supersedes the old one, which is kept. Partners confirm their own
    placements; staff those in workshops and dedicated posts. Publishes
    `jobs.placement.month_confirmed`. Send an `Idempotency-Key` to retry safely."""
    service.ensure_can_record(placement, identity)

    async def make() -> ConfirmationPublic:
        confirmation = await service.confirm_month(session, placement, body, identity, today)
        return confirmation_public(confirmation, False)

    return await idempotent(
        guard,
        session,
        scope=scope_of(identity),
        payload=body.model_dump(mode="json"),
        status_code=201,
        make=make,
    )


@router.post(
    "/placements/confirmations:batch",
    status_code=201,
    response_model=ConfirmationBatchResult,
    tags=["placements"],
    operation_id="confirmPlacementMonthsBatch",
    summary="Confirm many months of employment at once (a payroll month)",
    responses=responses(
        401, 403, 404, 409, 413, 422, descriptions={413: "More lines than a batch takes"}
    ),
)
async def confirm_months_batch(
    body: ConfirmationBatch,
    identity: PartnerOrBureau,
    session: SessionDep,
    guard: IdempotencyDep,
    runtime: JobsRuntime,
    today: Today,
) -> JSONResponse:
    """A month's payroll in one request: each line is a confirmation (or a correction, with
    `corrects`) of its `placement_id`, under the rules of the single endpoint, applied in the
    order given (a placement's months may follow each other in one batch). All or nothing: the
    first line that breaks a rule refuses the whole batch with that rule's problem (same status
    and type as the single endpoint), whose `line` (1 is the first) and `placement_id` name it;
    nothing is recorded, fix the line and send the batch again. At most 1,000 lines
    (`JOBS_CONFIRMATION_BATCH_MAX_LINES`; above it 413 `too-many-lines`). Publishes one
    `jobs.placement.month_confirmed` per line. Send an `Idempotency-Key` to retry safely."""

    async def make() -> ConfirmationBatchResult:
        records = await batch.confirm_months(
            session,
            body.confirmations,
            identity,
            today,
            max_lines=runtime.settings.confirmation_batch_max_lines,
        )
        items = [confirmation_public(c, False) for c in records]
        return ConfirmationBatchResult(confirmed=len(items), items=items)

    return await idempotent(
        guard,
        session,
        scope=scope_of(identity),
        payload=body.model_dump(mode="json"),
        status_code=201,
        make=make,
    )


@router.get(
    "/placements/{placement_id}/confirmations",
    response_model=list[ConfirmationPublic],
    tags=["placements"],
    operation_id="listPlacementConfirmations",
    summary="Monthly confirmations of a placement",
    responses=responses(401, 403, 404, 422),
)
async def list_confirmations(
    identity: PartnerOrStaffReader, placement: PlacementById, session: SessionDep
) -> list[ConfirmationPublic]:
    """Every record, corrections included (`superseded` marks the replaced ones)."""
    service.ensure_can_read(placement, identity)
    records = await repo.confirmations(session, placement.id)
    replaced = {c.supersedes for c in records if c.supersedes is not None}
    return [confirmation_public(c, c.id in replaced) for c in records]


@router.post(
    "/placements/{placement_id}/end",
    response_model=PlacementPublic,
    tags=["placements"],
    operation_id="endPlacement",
    summary="End a placement",
    responses=responses(401, 403, 404, 409, 422),
)
async def end_placement(
    body: PlacementEnd,
    identity: PartnerOrBureau,
    placement: PlacementById,
    session: SessionDep,
    today: Today,
) -> PlacementPublic:
    """The worker left on `end_date` (not in the future, not before the start or a confirmed
    month) for `reason`. Publishes `jobs.placement.ended`."""
    service.ensure_can_record(placement, identity)
    placement = await service.end_placement(session, placement, body, today)
    current = await repo.current_confirmations(session, [placement.id])
    names = await repo.worker_names(session, [placement])
    return placement_public(placement, current[placement.id], names.get(placement.worker_id, ""))
