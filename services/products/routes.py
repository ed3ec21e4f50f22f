"""HTTP routes of the products service: thin handlers that validate, authorise, call the service
and shape the response."""

import hashlib
import re
import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BeforeValidator

from services.products import batch as batch_flow
from services.products import service
from services.products.config import ProductsSettings
from services.products.dependencies import (
    AnySale,
    CallingStore,
    CatalogueEditor,
    OwnSale,
    ProductDep,
    StaffCaller,
    StoreCaller,
    StoreDep,
    SupplierDep,
    load_own_sale_locked,
    load_store,
    store_id_of,
)
from services.products.errors import BatchTooLarge, UnsupportedMediaType
from services.products.models import (
    BatchResult,
    Category,
    CorrectionCreate,
    DayPublic,
    Product,
    ProductCreate,
    ProductPublic,
    ProductUpdate,
    SaleCreate,
    SaleDetail,
    SalePublic,
    StatsResult,
    Store,
    StoreCreate,
    StorePublic,
    StoreUpdate,
    Supplier,
    SupplierCreate,
    SupplierPublic,
    SupplierUpdate,
    TraceResult,
)
from shared.db import SessionDep, utcnow
from shared.errors import PROBLEM_JSON
from shared.idempotency import IdempotencyDep
from shared.identity import CurrentIdentity
from shared.pagination import Cursor, Limit, Page

router = APIRouter(prefix="/v1/products")


def _iso_date_only(value: Any) -> Any:
    # Pydantic reads a bare number as seconds since 1970 ("86400" is 1970-01-02); a day given
    # as a number is a mistake, not a date, so only the YYYY-MM-DD form is let through.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("give the date as YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_date_only)]


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {}}}


AUTH: dict[int | str, dict[str, Any]] = {
    401: _problem("No valid identity from the gateway"),
    403: _problem("The caller's role may not do this"),
}
INVALID: dict[int | str, dict[str, Any]] = {
    422: _problem("Invalid request: the detail names the field and the rule")
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _problem("No such resource")}
IDEMPOTENT: dict[int | str, dict[str, Any]] = {
    409: _problem(
        "A request with this Idempotency-Key is still in flight, or the "
        "write conflicts with recorded data"
    ),
    422: _problem("Invalid request, or the Idempotency-Key was used with another body"),
}


def _settings(request: Request) -> ProductsSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


# --- suppliers ---------------------------------------------------------------------------------


@router.post(
    "/suppliers",
    status_code=201,
    response_model=SupplierPublic,
    tags=["catalogue"],
    operation_id="createSupplier",
    summary="Register a supplier",
    responses={**AUTH, **INVALID},
)
async def create_supplier(
    body: SupplierCreate, _: CatalogueEditor, session: SessionDep
) -> Supplier:
    """Register a Weng'an enterprise or cooperative whose products are sold, with its township
    and the number of registered-poor households it links to (利益联结)."""
    return await service.create_supplier(session, body)


@router.get(
    "/suppliers",
    response_model=Page[SupplierPublic],
    tags=["catalogue"],
    operation_id="listSuppliers",
    summary="List suppliers",
    responses={**AUTH, **INVALID},
)
async def list_suppliers(
    _: CurrentIdentity,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    include_archived: bool = False,
) -> Page[Any]:
    """Suppliers in the order they were registered; archived ones only when asked."""
    items, next_cursor = await service.repo.page_of(
        session, Supplier, limit=limit, cursor=cursor, include_archived=include_archived
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/suppliers/{supplier_id}",
    response_model=SupplierPublic,
    tags=["catalogue"],
    operation_id="getSupplier",
    summary="Get a supplier",
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
async def get_supplier(_: CurrentIdentity, supplier: SupplierDep) -> Supplier:
    return supplier


@router.patch(
    "/suppliers/{supplier_id}",
    response_model=SupplierPublic,
    tags=["catalogue"],
    operation_id="updateSupplier",
    summary="Change a supplier",
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
async def update_supplier(
    body: SupplierUpdate, _: CatalogueEditor, supplier: SupplierDep, session: SessionDep
) -> Supplier:
    """Change the fields sent; the others keep their values."""
    return await service.update_supplier(session, supplier, body)


@router.post(
    "/suppliers/{supplier_id}/archive",
    response_model=SupplierPublic,
    tags=["catalogue"],
    operation_id="archiveSupplier",
    summary="Archive a supplier",
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
async def archive_supplier(
    _: CatalogueEditor, supplier: SupplierDep, session: SessionDep
) -> Supplier:
    """Archived suppliers take no new products; their history stays. Nothing is deleted."""
    return await service.archive(session, supplier)  # type: ignore[no-any-return]


# --- products ----------------------------------------------------------------------------------


@router.post(
    "/catalogue",
    status_code=201,
    response_model=ProductPublic,
    tags=["catalogue"],
    operation_id="createProduct",
    summary="Add a product to the catalogue",
    responses={**AUTH, **INVALID, 409: _problem("The SKU is taken")},
)
async def create_product(body: ProductCreate, _: CatalogueEditor, session: SessionDep) -> Product:
    """Add a certified product: SKU (unique), category, supplier, selling unit, net weight in
    grams per unit, certification number and list price in fen. SKU, supplier and net weight
    cannot change later, because recorded sales depend on them."""
    return await service.create_product(session, body)


@router.get(
    "/catalogue",
    response_model=Page[ProductPublic],
    tags=["catalogue"],
    operation_id="listProducts",
    summary="List the catalogue",
    responses={**AUTH, **INVALID},
)
async def list_products(
    _: CurrentIdentity,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    include_archived: bool = False,
    category: Category | None = None,
    supplier_id: uuid.UUID | None = None,
) -> Page[Any]:
    """The catalogue in the order products were added; stores read it to know the SKUs."""
    filters = []
    if category is not None:
        filters.append(Product.category == category)
    if supplier_id is not None:
        filters.append(Product.supplier_id == supplier_id)
    items, next_cursor = await service.repo.page_of(
        session,
        Product,
        limit=limit,
        cursor=cursor,
        include_archived=include_archived,
        filters=filters,
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/catalogue/{product_id}",
    response_model=ProductPublic,
    tags=["catalogue"],
    operation_id="getProduct",
    summary="Get a product",
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
async def get_product(_: CurrentIdentity, product: ProductDep) -> Product:
    return product


@router.patch(
    "/catalogue/{product_id}",
    response_model=ProductPublic,
    tags=["catalogue"],
    operation_id="updateProduct",
    summary="Change a product",
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
async def update_product(
    body: ProductUpdate, _: CatalogueEditor, product: ProductDep, session: SessionDep
) -> Product:
    """Change name, category, unit, certification number or list price."""
    return await service.update_product(session, product, body)


@router.post(
    "/catalogue/{product_id}/archive",
    response_model=ProductPublic,
    tags=["catalogue"],
    operation_id="archiveProduct",
    summary="Archive a product",
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
async def archive_product(_: CatalogueEditor, product: ProductDep, session: SessionDep) -> Product:
    """An archived SKU can no longer be sold; sales that refer to it keep it. Nothing is
    deleted."""
    return await service.archive(session, product)  # type: ignore[no-any-return]


# --- stores ------------------------------------------------------------------------------------


@router.post(
    "/stores",
    status_code=201,
    response_model=StorePublic,
    tags=["stores"],
    operation_id="createStore",
    summary="Register a flagship store",
    responses={**AUTH, **INVALID},
)
async def create_store(body: StoreCreate, _: CatalogueEditor, session: SessionDep) -> Store:
    """Register a flagship store or exhibition-and-sales centre in Haizhu. Its id is what the
    store's API key is bound to."""
    return await service.create_store(session, body)


@router.get(
    "/stores",
    response_model=Page[StorePublic],
    tags=["stores"],
    operation_id="listStores",
    summary="List stores",
    responses={**AUTH, **INVALID},
)
async def list_stores(
    _: StaffCaller,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    include_archived: bool = False,
) -> Page[Any]:
    items, next_cursor = await service.repo.page_of(
        session, Store, limit=limit, cursor=cursor, include_archived=include_archived
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/stores/me",
    response_model=StorePublic,
    tags=["store sales"],
    operation_id="getOwnStore",
    summary="The calling store",
    responses={**AUTH},
)
async def get_own_store(store: CallingStore) -> Store:
    return store


@router.get(
    "/stores/{store_id}",
    response_model=StorePublic,
    tags=["stores"],
    operation_id="getStore",
    summary="Get a store",
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
async def get_store(_: StaffCaller, store: StoreDep) -> Store:
    return store


@router.patch(
    "/stores/{store_id}",
    response_model=StorePublic,
    tags=["stores"],
    operation_id="updateStore",
    summary="Change a store",
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
async def update_store(
    body: StoreUpdate, _: CatalogueEditor, store: StoreDep, session: SessionDep
) -> Store:
    return await service.update_store(session, store, body)


@router.post(
    "/stores/{store_id}/archive",
    response_model=StorePublic,
    tags=["stores"],
    operation_id="archiveStore",
    summary="Archive a store",
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
async def archive_store(_: CatalogueEditor, store: StoreDep, session: SessionDep) -> Store:
    """An archived store can no longer report sales or close days; its history stays."""
    return await service.archive(session, store)  # type: ignore[no-any-return]


# --- a store's sales ---------------------------------------------------------------------------


@router.post(
    "/stores/me/sales",
    status_code=201,
    response_model=SalePublic,
    tags=["store sales"],
    operation_id="reportSale",
    summary="Report a sale",
    responses={
        **AUTH,
        **IDEMPOTENT,
        409: _problem(
            "Receipt number already recorded, business day closed, "
            "or the Idempotency-Key is in flight"
        ),
    },
)
async def report_sale(
    request: Request,
    body: SaleCreate,
    identity: StoreCaller,
    session: SessionDep,
    guard: IdempotencyDep,
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
    replay = await guard.begin(session, str(store_id), body.model_dump(mode="json"))
    if replay is not None:
        return replay
    store = await load_store(session, store_id)
    now = utcnow()
    sale = await service.report_sale(
        session,
        store,
        body,
        actor=identity.actor,
        now=now,
        skew_seconds=_settings(request).sale_clock_skew_seconds,
    )
    payload = sale.model_dump(mode="json")
    await guard.complete(session, 201, payload)
    return JSONResponse(payload, status_code=201)


BATCH_EXAMPLE_NDJSON = (
    '{"receipt_number": "HZ01-0001", "sold_at": "2020-10-15T02:10:00Z", '
    '"lines": [{"sku": "WA-TEA-250", "quantity": 2, "unit_price_fen": 16800}]}\n'
    '{"receipt_number": "HZ01-0002", "sold_at": "2020-10-15T02:12:00Z", '
    '"lines": [{"sku": "WA-CHILI-500", "quantity": 1, "unit_price_fen": 2500}]}\n'
)
BATCH_EXAMPLE_CSV = (
    "receipt_number,sold_at,sku,quantity,unit_price_fen\n"
    "HZ01-0001,2020-10-15T02:10:00Z,WA-TEA-250,2,16800\n"
    "HZ01-0001,2020-10-15T02:10:00Z,WA-CHILI-500,1,2500\n"
    "HZ01-0002,2020-10-15T02:12:00Z,WA-TEA-250,1,16800\n"
)


@router.post(
    "/stores/me/sales:batch",
    response_model=BatchResult,
    tags=["store sales"],
    operation_id="uploadSalesBatch",
    summary="Upload many sales at once",
    responses={
        **AUTH,
        **IDEMPOTENT,
        413: _problem("Over the batch limits"),
        415: _problem("Not NDJSON or CSV"),
    },
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
    settings = _settings(request)
    fmt = batch_flow.content_format(request.headers.get("content-type"))
    if fmt is None:
        raise UnsupportedMediaType("Send the batch as application/x-ndjson or text/csv.")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.batch_max_bytes:
        raise BatchTooLarge(f"A batch may be at most {settings.batch_max_bytes:,} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > settings.batch_max_bytes:
            raise BatchTooLarge(f"A batch may be at most {settings.batch_max_bytes:,} bytes.")
        chunks.append(chunk)
    body = b"".join(chunks)
    text = batch_flow.decode_body(body)
    fingerprint = {"format": fmt, "sha256": hashlib.sha256(body).hexdigest()}
    store_id = store_id_of(identity)
    replay = await guard.begin(session, str(store_id), fingerprint)
    if replay is not None:
        return replay
    store = await load_store(session, store_id)
    result = await batch_flow.upload_batch(
        session,
        store,
        fmt,
        text,
        actor=identity.actor,
        now=utcnow(),
        max_lines=settings.batch_max_lines,
        skew_seconds=settings.sale_clock_skew_seconds,
    )
    payload = result.model_dump(mode="json")
    await guard.complete(session, 200, payload)
    return JSONResponse(payload, status_code=200)


@router.get(
    "/stores/me/sales",
    response_model=Page[SalePublic],
    tags=["store sales"],
    operation_id="listOwnSales",
    summary="List the calling store's sales",
    responses={**AUTH, **INVALID},
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
    sales, next_cursor = await service.repo.list_sales(
        session,
        store_id=store.id,
        date_from=date_from,
        date_to=date_to,
        kind=kind,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=await service.sales_page(session, sales), next_cursor=next_cursor)


@router.get(
    "/stores/me/sales/{sale_id}",
    response_model=SaleDetail,
    tags=["store sales"],
    operation_id="getOwnSale",
    summary="One of the calling store's sales",
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
async def get_own_sale(sale: OwnSale, session: SessionDep) -> SaleDetail:
    """A sale with its corrections and the lines in force after them. Another store's sale
    is 404."""
    return await service.sale_detail(session, sale)


@router.post(
    "/stores/me/sales/{sale_id}/corrections",
    status_code=201,
    response_model=SalePublic,
    tags=["store sales"],
    operation_id="correctSale",
    summary="Correct or void a sale",
    responses={
        **AUTH,
        **NOT_FOUND,
        **IDEMPOTENT,
        409: _problem("The sale is voided, or the Idempotency-Key is in flight"),
    },
)
async def correct_sale(
    sale_id: uuid.UUID,
    body: CorrectionCreate,
    identity: StoreCaller,
    session: SessionDep,
    guard: IdempotencyDep,
) -> Any:
    """Record a correction (`kind: correction` with every line the sale should have had) or a
    void (`kind: void`, no lines) of one of the calling store's sales, with a reason. The
    original is never changed: a new record refers to it and carries the signed difference,
    counted on the original's business day. Allowed after the day is closed. Takes an
    `Idempotency-Key`."""
    store_id = store_id_of(identity)
    replay = await guard.begin(
        session, str(store_id), {"sale": str(sale_id), **body.model_dump(mode="json")}
    )
    if replay is not None:
        return replay
    store = await load_store(session, store_id)
    sale = await load_own_sale_locked(session, store, sale_id)
    correction = await service.correct_sale(
        session, store, sale, body, actor=identity.actor, now=utcnow()
    )
    payload = correction.model_dump(mode="json")
    await guard.complete(session, 201, payload)
    return JSONResponse(payload, status_code=201)


@router.post(
    "/stores/me/days/{business_date}/close",
    response_model=DayPublic,
    tags=["store sales"],
    operation_id="closeDay",
    summary="Close a business day",
    responses={**AUTH, **INVALID, 409: _problem("The day is already closed")},
)
async def close_day(
    business_date: Day, identity: StoreCaller, store: CallingStore, session: SessionDep
) -> DayPublic:
    """Close the calling store's business day (a date in China time, UTC+8): the totals are
    computed and published (`products.day.closed`). After that the day takes no new sales,
    only corrections of sales already recorded. A day that has not begun cannot be closed."""
    return await service.close_day(
        session, store, business_date, actor=identity.actor, now=utcnow()
    )


@router.get(
    "/stores/me/days/{business_date}",
    response_model=DayPublic,
    tags=["store sales"],
    operation_id="getOwnDay",
    summary="A business day of the calling store",
    responses={**AUTH, **INVALID},
)
async def get_own_day(business_date: Day, store: CallingStore, session: SessionDep) -> DayPublic:
    """Whether the day is closed, its totals at the close, and its totals now."""
    return await service.day_view(session, store, business_date)


GroupBy = Annotated[
    list[Literal["store", "product", "category", "supplier", "township", "month"]],
    Query(max_length=6, description="Group the sums; repeat for several."),
]


@router.get(
    "/stores/me/statistics",
    response_model=StatsResult,
    tags=["store sales"],
    operation_id="getOwnStatistics",
    summary="The calling store's totals",
    responses={**AUTH, **INVALID},
)
async def own_statistics(
    store: CallingStore,
    session: SessionDep,
    date_from: Day | None = None,
    date_to: Day | None = None,
    group_by: GroupBy = [],  # noqa: B006 - FastAPI copies defaults
    category: Category | None = None,
) -> StatsResult:
    """Weight and revenue of the calling store's sales (net of corrections), as the bureau's
    statistics but limited to this store."""
    return await service.statistics(
        session,
        date_from=date_from,
        date_to=date_to,
        group_by=group_by,
        store_id=store.id,
        category=category,
    )


# --- bureau: sales, statistics, traceability ---------------------------------------------------


@router.get(
    "/sales",
    response_model=Page[SalePublic],
    tags=["statistics"],
    operation_id="listSales",
    summary="List sales of every store",
    responses={**AUTH, **INVALID},
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
    sales, next_cursor = await service.repo.list_sales(
        session,
        store_id=store_id,
        date_from=date_from,
        date_to=date_to,
        kind=kind,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=await service.sales_page(session, sales), next_cursor=next_cursor)


@router.get(
    "/sales/{sale_id}",
    response_model=SaleDetail,
    tags=["statistics"],
    operation_id="getSale",
    summary="Get any sale",
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
async def get_sale(sale: AnySale, session: SessionDep) -> SaleDetail:
    return await service.sale_detail(session, sale)


@router.get(
    "/sales/{sale_id}/trace",
    response_model=TraceResult,
    tags=["statistics"],
    operation_id="traceSale",
    summary="Trace a sale back to its suppliers",
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
async def trace_sale(sale: AnySale, session: SessionDep) -> TraceResult:
    """Each line's product, certification number, supplier, township of origin and the
    registered-poor households the supplier links to (利益联结)."""
    return await service.trace(session, sale)


@router.get(
    "/statistics",
    response_model=StatsResult,
    tags=["statistics"],
    operation_id="getStatistics",
    summary="Sales statistics",
    responses={**AUTH, **INVALID},
)
async def statistics(
    _: StaffCaller,
    session: SessionDep,
    date_from: Day | None = None,
    date_to: Day | None = None,
    group_by: GroupBy = [],  # noqa: B006 - FastAPI copies defaults
    store_id: uuid.UUID | None = None,
    supplier_id: uuid.UUID | None = None,
    category: Category | None = None,
    township: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
) -> StatsResult:
    """Weight sold (grams, and tonnes to the kilogram) and revenue (fen, and yuan) net of
    corrections, grouped by any of store, product, category, supplier, township of origin and
    month, over business days `date_from`..`date_to` (inclusive, China time). Answered from
    rollups kept with every sale: periods of whole months from the monthly rollup, others from
    the daily one; neither reads sale lines."""
    return await service.statistics(
        session,
        date_from=date_from,
        date_to=date_to,
        group_by=group_by,
        store_id=store_id,
        supplier_id=supplier_id,
        category=category,
        township=township,
    )
