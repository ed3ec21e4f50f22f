"""HTTP routes of the sales: a store reports, uploads, reads and corrects its own sales
(``/stores/me/sales``); staff read and trace every store's sales (``/sales``).

Two routers, so that the composition root keeps the API's order: the store's day and statistics
routes come between them. The batch upload is here, beside the single report it extends; its
reading and rules are the ``batch`` feature."""

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request

from services.products.batch import service as batch
from services.products.batch.body import read_upload
from services.products.batch.examples import BATCH_EXAMPLE_CSV, BATCH_EXAMPLE_NDJSON
from services.products.batch.schemas import BatchResult
from services.products.dependencies import (
    CallingStore,
    Settings,
    StaffCaller,
    StoreCaller,
    store_id_of,
)
from services.products.errors import SaleNotFound
from services.products.inputs import Day
from services.products.sales import flows, service
from services.products.sales.schemas import (
    CorrectionCreate,
    SaleCreate,
    SaleDetail,
    SalePublic,
    TraceResult,
)
from services.products.sales.tables import Sale
from services.products.stores import service as stores
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep, idempotent
from shared.loader import loader
from shared.openapi import responses
from shared.pagination import Cursor, Limit, Page
from shared.runtime import Now

store_router = APIRouter(prefix="/v1/products")
staff_router = APIRouter(prefix="/v1/products")


async def own_sale(
    sale_id: Annotated[uuid.UUID, Path()], store: CallingStore, session: SessionDep
) -> Sale:
    """A sale of the calling store. Another store's sale is 404, as if it did not exist (so this
    is not a plain :func:`shared.loader.loader`, which knows no owner)."""
    return await service.get_own_sale(session, store, sale_id)


OwnSale = Annotated[Sale, Depends(own_sale)]
AnySale = Annotated[Sale, Depends(loader(service.find_sale, SaleNotFound, param="sale_id"))]


# --- the calling store's sales -----------------------------------------------------------------


@store_router.post(
    "/stores/me/sales",
    status_code=201,
    response_model=SalePublic,
    tags=["store sales"],
    operation_id="reportSale",
    summary="Report a sale",
    responses=responses(
        401,
        403,
        409,
        422,
        descriptions={
            409: "Receipt number already recorded, business day closed, "
            "or the Idempotency-Key is in flight"
        },
    ),
)
async def report_sale(
    body: SaleCreate,
    identity: StoreCaller,
    session: SessionDep,
    guard: IdempotencyDep,
    settings: Settings,
    now: Now,
) -> Any:
    """Record one sale of the calling store: receipt number (unique per store), time of sale
    with its zone, and lines of SKU × quantity at a unit price in fen. The server computes
    grams and fen from the catalogue; totals sent by a client are refused as unknown fields.

    Send an `Idempotency-Key`: a retry with the same key and body returns the first response
    (header `Idempotent-Replayed: true`) and records nothing twice. Rejections (422) carry a
    `reason` code and, for a bad line, its 1-based `line`: `unknown_sku`, `archived_sku`,
    `non_positive_quantity`, `quantity_too_large`, `negative_price`, `price_too_large`,
    `future_sale_time`. A closed day or a receipt already recorded is 409."""
    store_id = store_id_of(identity)

    async def record() -> SalePublic:
        store = await stores.calling_store(session, store_id)
        return await flows.report_sale(
            session,
            store,
            body,
            actor=identity.actor,
            now=now,
            skew_seconds=settings.sale_clock_skew_seconds,
        )

    return await idempotent(
        guard,
        session,
        scope=str(store_id),
        payload=body.model_dump(mode="json"),
        status_code=201,
        make=record,
    )


@store_router.post(
    "/stores/me/sales:batch",
    response_model=BatchResult,
    tags=["store sales"],
    operation_id="uploadSalesBatch",
    summary="Upload many sales at once",
    responses=responses(
        401,
        403,
        409,
        413,
        415,
        422,
        descriptions={413: "Over the batch limits", 415: "Not NDJSON or CSV"},
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {
                    "schema": {"type": "string"},
                    "example": BATCH_EXAMPLE_NDJSON,
                },
                "text/csv": {"schema": {"type": "string"}, "example": BATCH_EXAMPLE_CSV},
            },
        }
    },
)
async def upload_batch(
    request: Request,
    identity: StoreCaller,
    session: SessionDep,
    guard: IdempotencyDep,
    settings: Settings,
    now: Now,
) -> Any:
    """Upload a day's sales in one request, as `application/x-ndjson` (one sale per line, each
    shaped like a single report) or `text/csv` (header `receipt_number,sold_at,sku,quantity,
    unit_price_fen`, one sale line per row; rows with the same receipt number form one sale).

    Limits: at most 5,000 lines (sales for NDJSON, rows for CSV, not counting the header or blank
    lines) and 2 MiB; above either the whole batch is refused with 413 and the first line over
    the limit. Each sale is accepted or rejected on its own and the good ones are recorded even
    when others are bad: the response has one result per line, with a `code` and a `reason` for
    rejected ones (the codes of a single report, plus `invalid`, `invalid_json`, `invalid_row`,
    `duplicate_in_batch`, `duplicate_receipt`, `day_closed`, `conflicting_sold_at` and
    `receipt_rejected` for the other rows of a rejected CSV receipt).

    The batch takes an `Idempotency-Key` like a single report: a retry returns the same
    per-line results and records nothing twice."""
    upload = await read_upload(request, max_bytes=settings.batch_max_bytes)
    store_id = store_id_of(identity)

    async def record() -> BatchResult:
        store = await stores.calling_store(session, store_id)
        return await batch.upload_batch(
            session,
            store,
            upload.format,
            upload.text,
            actor=identity.actor,
            now=now,
            max_lines=settings.batch_max_lines,
            skew_seconds=settings.sale_clock_skew_seconds,
        )

    return await idempotent(
        guard,
        session,
        scope=str(store_id),
        payload=upload.fingerprint,
        status_code=200,
        make=record,
    )


@store_router.get(
    "/stores/me/sales",
    response_model=Page[SalePublic],
    tags=["store sales"],
    operation_id="listOwnSales",
    summary="List the calling store's sales",
    responses=responses(401, 403, 422),
)
async def list_own_sales(
    store: CallingStore,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    date_from: Day | None = None,
    date_to: Day | None = None,
    kind: Literal["sale", "correction", "void"] | None = None,
) -> Page[Any]:
    """Sales, corrections and voids of the calling store, newest sale time first, optionally
    within business days `date_from`..`date_to` (China time, inclusive)."""
    items, next_cursor = await service.list_sales(
        session,
        store_id=store.id,
        date_from=date_from,
        date_to=date_to,
        kind=kind,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=items, next_cursor=next_cursor)


@store_router.get(
    "/stores/me/sales/{sale_id}",
    response_model=SaleDetail,
    tags=["store sales"],
    operation_id="getOwnSale",
    summary="One of the calling store's sales",
    responses=responses(401, 403, 404, 422),
)
async def get_own_sale(sale: OwnSale, session: SessionDep) -> SaleDetail:
    """A sale with its corrections and the lines in force after them. Another store's sale
    is 404."""
    return await service.sale_detail(session, sale)


@store_router.post(
    "/stores/me/sales/{sale_id}/corrections",
    status_code=201,
    response_model=SalePublic,
    tags=["store sales"],
    operation_id="correctSale",
    summary="Correct or void a sale",
    responses=responses(
        401,
        403,
        404,
        409,
        422,
        descriptions={409: "The sale is voided, or the Idempotency-Key is in flight"},
    ),
)
async def correct_sale(
    sale_id: uuid.UUID,
    body: CorrectionCreate,
    identity: StoreCaller,
    session: SessionDep,
    guard: IdempotencyDep,
    now: Now,
) -> Any:
    """Record a correction (`kind: correction` with every line the sale should have had) or a
    void (`kind: void`, no lines) of one of the calling store's sales, with a reason. The
    original is never changed: a new record refers to it and carries the signed difference,
    counted on the original's business day. Allowed after the day is closed. Takes an
    `Idempotency-Key`."""
    store_id = store_id_of(identity)

    async def record() -> SalePublic:
        store = await stores.calling_store(session, store_id)
        sale = await service.get_own_sale(session, store, sale_id, for_update=True)
        return await service.correct_sale(session, store, sale, body, actor=identity.actor, now=now)

    return await idempotent(
        guard,
        session,
        scope=str(store_id),
        payload={"sale": str(sale_id), **body.model_dump(mode="json")},
        status_code=201,
        make=record,
    )


# --- bureau: every store's sales ---------------------------------------------------------------


@staff_router.get(
    "/sales",
    response_model=Page[SalePublic],
    tags=["statistics"],
    operation_id="listSales",
    summary="List sales of every store",
    responses=responses(401, 403, 422),
)
async def list_sales(
    _: StaffCaller,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    store_id: uuid.UUID | None = None,
    date_from: Day | None = None,
    date_to: Day | None = None,
    kind: Literal["sale", "correction", "void"] | None = None,
) -> Page[Any]:
    items, next_cursor = await service.list_sales(
        session,
        store_id=store_id,
        date_from=date_from,
        date_to=date_to,
        kind=kind,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=items, next_cursor=next_cursor)


@staff_router.get(
    "/sales/{sale_id}",
    response_model=SaleDetail,
    tags=["statistics"],
    operation_id="getSale",
    summary="Get any sale",
    responses=responses(401, 403, 404, 422),
)
async def get_sale(_: StaffCaller, sale: AnySale, session: SessionDep) -> SaleDetail:
    return await service.sale_detail(session, sale)


@staff_router.get(
    "/sales/{sale_id}/trace",
    response_model=TraceResult,
    tags=["statistics"],
    operation_id="traceSale",
    summary="Trace a sale back to its suppliers",
    responses=responses(401, 403, 404, 422),
)
async def trace_sale(_: StaffCaller, sale: AnySale, session: SessionDep) -> TraceResult:
    """Each line's product, certification number, supplier, township of origin and the
    registered-poor households the supplier links to (利益联结)."""
    return await service.trace(session, sale)
