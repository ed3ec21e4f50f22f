"""Business rules of the products service; writes events to the outbox; never commits.

Rules that come from the program (see the handbook's PROGRAM.md and the issue):
* totals are computed here from quantities, unit prices and the catalogue's net weights; a client
  never sends a total;
* a store's business day is its local date in China time (UTC+8, no daylight saving);
* a closed day takes no new sales, only corrections of sales already recorded;
* nothing is edited in place: a correction or a void is a new record whose lines are the signed
  delta, attributed to the original sale's business day;
* the rollups are updated in the same transaction as every sale or correction.
"""

import calendar
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.products import repository as repo
from services.products.errors import (
    DayAlreadyClosed,
    DayBeforeRecords,
    DayClosed,
    DayInFuture,
    DuplicateReceipt,
    NotAnOriginalSale,
    SaleRejected,
    SaleVoided,
    SkuTaken,
    StoreArchived,
    SupplierArchived,
)
from services.products.events import DayClosed as DayClosedEvent
from services.products.events import SaleCorrected, SaleLineData, SaleRecorded
from services.products.models import (
    MAX_QUANTITY,
    MAX_UNIT_PRICE_FEN,
    CorrectionCreate,
    DayPublic,
    Product,
    ProductCreate,
    ProductUpdate,
    Sale,
    SaleCreate,
    SaleDetail,
    SaleKind,
    SaleLine,
    SaleLineIn,
    SaleLinePublic,
    SalePublic,
    StatsResult,
    StatsRow,
    Store,
    StoreCreate,
    StoreUpdate,
    Supplier,
    SupplierCreate,
    SupplierUpdate,
    TraceLine,
    TraceResult,
)
from shared.db import utcnow
from shared.errors import Unprocessable
from shared.events import add_events

SOURCE = "products"
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
EARLIEST_SALE = datetime(2000, 1, 1, tzinfo=UTC)


def business_date_of(moment: datetime) -> date:
    return moment.astimezone(CHINA_TZ).date()


def china_today(now: datetime) -> date:
    return now.astimezone(CHINA_TZ).date()


def tonnes(grams: int) -> str:
    """Grams as tonnes with three decimals (to the kilogram, half away from zero), no floats."""
    kg = (abs(grams) + 500) // 1000
    sign = "-" if grams < 0 and kg else ""
    return f"{sign}{kg // 1000}.{kg % 1000:03d}"


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


# --- catalogue and stores ----------------------------------------------------------------------


def _apply(obj: Any, changes: Any) -> None:
    for key, value in changes.model_dump(exclude_unset=True).items():
        if value is None and key != "certification_number":
            raise Unprocessable(f"{key} cannot be null; leave it out to keep the current value.")
        setattr(obj, key, value)


async def create_supplier(session: AsyncSession, body: SupplierCreate) -> Supplier:
    supplier = Supplier.model_validate(body)
    session.add(supplier)
    await session.flush()
    return supplier


async def update_supplier(
    session: AsyncSession, supplier: Supplier, body: SupplierUpdate
) -> Supplier:
    _apply(supplier, body)
    await session.flush()
    return supplier


async def archive(session: AsyncSession, obj: Any) -> Any:
    """Archive a supplier, product or store: history keeps referring to it; nothing is deleted.
    Archiving twice keeps the first time."""
    if obj.archived_at is None:
        obj.archived_at = utcnow()
        await session.flush()
    return obj


async def create_product(session: AsyncSession, body: ProductCreate) -> Product:
    supplier = await session.get(Supplier, body.supplier_id)
    if supplier is None:
        raise Unprocessable(
            f"supplier_id {body.supplier_id} refers to no supplier.", field="supplier_id"
        )
    if supplier.archived_at is not None:
        raise SupplierArchived()
    if await repo.product_by_sku(session, body.sku) is not None:
        raise SkuTaken(body.sku)
    product = Product.model_validate(body)
    session.add(product)
    await session.flush()
    return product


async def update_product(session: AsyncSession, product: Product, body: ProductUpdate) -> Product:
    _apply(product, body)
    await session.flush()
    return product


async def create_store(session: AsyncSession, body: StoreCreate) -> Store:
    store = Store.model_validate(body)
    session.add(store)
    await session.flush()
    return store


async def update_store(session: AsyncSession, store: Store, body: StoreUpdate) -> Store:
    _apply(store, body)
    await session.flush()
    return store


# --- validating and recording sales ------------------------------------------------------------


@dataclass
class PreparedSale:
    """A sale that passed every rule that needs no lock: ready to record."""

    receipt_number: str
    sold_at: datetime
    business_date: date
    lines: list[dict[str, Any]]
    supplier_of: dict[uuid.UUID, uuid.UUID]
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def total_grams(self) -> int:
        return sum(line["grams"] for line in self.lines)

    @property
    def total_fen(self) -> int:
        return sum(line["fen"] for line in self.lines)


def check_line(
    index: int,
    line: SaleLineIn,
    catalogue: dict[str, Any],
    *,
    allow_archived: frozenset[str] = frozenset(),
) -> Any:
    """The rules of one line; ``index`` is 1-based. Returns the catalogue row."""
    if line.quantity <= 0:
        raise SaleRejected(
            "non_positive_quantity",
            f"Sale line {index}: quantity must be a positive whole number of units.",
            line=index,
        )
    if line.quantity > MAX_QUANTITY:
        raise SaleRejected(
            "quantity_too_large",
            f"Sale line {index}: quantity may be at most {MAX_QUANTITY:,} units.",
            line=index,
        )
    if line.unit_price_fen < 0:
        raise SaleRejected(
            "negative_price", f"Sale line {index}: unit_price_fen may not be negative.", line=index
        )
    if line.unit_price_fen > MAX_UNIT_PRICE_FEN:
        raise SaleRejected(
            "price_too_large",
            f"Sale line {index}: unit_price_fen may be at most {MAX_UNIT_PRICE_FEN:,}.",
            line=index,
        )
    product = catalogue.get(line.sku)
    if product is None:
        raise SaleRejected(
            "unknown_sku",
            f"Sale line {index}: SKU {line.sku!r} is not in the catalogue.",
            line=index,
        )
    if product.archived_at is not None and line.sku not in allow_archived:
        raise SaleRejected(
            "archived_sku",
            f"Sale line {index}: SKU {line.sku!r} is archived and can no longer be sold.",
            line=index,
        )
    return product


def prepare_sale(
    sale: SaleCreate, catalogue: dict[str, Any], *, now: datetime, skew_seconds: int
) -> PreparedSale:
    """Apply every rule that needs no lock; raise :class:`SaleRejected` on the first broken one."""
    if sale.sold_at > now + timedelta(seconds=skew_seconds):
        raise SaleRejected(
            "future_sale_time",
            "sold_at is in the future; send the time the sale happened, with its time zone.",
        )
    if sale.sold_at < EARLIEST_SALE:
        raise SaleRejected("sale_time_out_of_range", "sold_at is before 2000-01-01.")
    lines = []
    supplier_of: dict[uuid.UUID, uuid.UUID] = {}
    for index, line in enumerate(sale.lines, 1):
        product = check_line(index, line, catalogue)
        supplier_of[product.id] = product.supplier_id
        lines.append(
            {
                "line_no": index,
                "product_id": product.id,
                "sku": product.sku,
                "quantity": line.quantity,
                "unit_price_fen": line.unit_price_fen,
                "grams": line.quantity * product.net_weight_grams,
                "fen": line.quantity * line.unit_price_fen,
            }
        )
    return PreparedSale(
        receipt_number=sale.receipt_number,
        sold_at=sale.sold_at.astimezone(UTC),
        business_date=business_date_of(sale.sold_at),
        lines=lines,
        supplier_of=supplier_of,
    )


def _line_data(
    lines: Sequence[dict[str, Any]], supplier_of: dict[uuid.UUID, uuid.UUID]
) -> list[SaleLineData]:
    return [
        SaleLineData(
            sku=ln["sku"],
            product_id=ln["product_id"],
            supplier_id=supplier_of[ln["product_id"]],
            quantity=ln["quantity"],
            unit_price_fen=ln["unit_price_fen"],
            grams=ln["grams"],
            fen=ln["fen"],
        )
        for ln in lines
    ]


async def record_sales(
    session: AsyncSession,
    store_id: uuid.UUID,
    sales: Sequence[PreparedSale],
    *,
    actor: str,
    batch_id: uuid.UUID | None = None,
    recorded_at: datetime | None = None,
) -> None:
    """Insert prepared sales (already checked against closed days and duplicates), their lines,
    rollups and events, each kind of row in one statement."""
    if not sales:
        return
    recorded_at = recorded_at or utcnow()
    sale_rows, line_rows, contributions, events = [], [], [], []
    for sale in sales:
        sale_rows.append(
            {
                "id": sale.id,
                "store_id": store_id,
                "kind": "sale",
                "receipt_number": sale.receipt_number,
                "original_sale_id": None,
                "sold_at": sale.sold_at,
                "business_date": sale.business_date,
                "total_quantity": sum(ln["quantity"] for ln in sale.lines),
                "total_grams": sale.total_grams,
                "total_fen": sale.total_fen,
                "line_count": len(sale.lines),
                "reason": None,
                "batch_id": batch_id,
                "recorded_at": recorded_at,
                "recorded_by": actor,
            }
        )
        for ln in sale.lines:
            line_rows.append(ln | {"sale_id": sale.id})
            contributions.append(
                (
                    sale.business_date,
                    store_id,
                    ln["product_id"],
                    ln["quantity"],
                    ln["grams"],
                    ln["fen"],
                )
            )
        events.append(
            SaleRecorded(
                sale_id=sale.id,
                store_id=store_id,
                receipt_number=sale.receipt_number,
                sold_at=sale.sold_at,
                business_date=sale.business_date,
                lines=_line_data(sale.lines, sale.supplier_of),
                total_grams=sale.total_grams,
                total_fen=sale.total_fen,
                batch_id=batch_id,
            )
        )
    await repo.insert_sales(session, sale_rows, line_rows)
    await repo.add_to_rollups(session, contributions)
    await add_events(session, events, source=SOURCE)


def _ensure_active(store: Store) -> None:
    if store.archived_at is not None:
        raise StoreArchived()


async def report_sale(
    session: AsyncSession,
    store: Store,
    body: SaleCreate,
    *,
    actor: str,
    now: datetime,
    skew_seconds: int,
) -> SalePublic:
    _ensure_active(store)
    catalogue = await repo.products_by_skus(session, (ln.sku for ln in body.lines))
    sale = prepare_sale(body, catalogue, now=now, skew_seconds=skew_seconds)
    closed = await repo.lock_open_days(session, store.id, [sale.business_date])
    if closed:
        raise DayClosed(sale.business_date)
    if await repo.existing_receipts(session, store.id, [sale.receipt_number]):
        raise DuplicateReceipt(sale.receipt_number)
    await record_sales(session, store.id, [sale], actor=actor, recorded_at=now)
    return SalePublic(
        id=sale.id,
        store_id=store.id,
        kind=SaleKind.sale,
        receipt_number=sale.receipt_number,
        original_sale_id=None,
        sold_at=sale.sold_at,
        business_date=sale.business_date,
        recorded_at=now,
        total_quantity=sum(ln["quantity"] for ln in sale.lines),
        total_grams=sale.total_grams,
        total_fen=sale.total_fen,
        reason=None,
        lines=[SaleLinePublic.model_validate(ln) for ln in sale.lines],
    )


# --- corrections -------------------------------------------------------------------------------


def _net_lines(
    records: Sequence[Sequence[SaleLine]],
) -> dict[tuple[uuid.UUID, int], dict[str, Any]]:
    """The lines in force: every record's lines summed per (product, unit price)."""
    net: dict[tuple[uuid.UUID, int], dict[str, Any]] = {}
    for lines in records:
        for ln in lines:
            entry = net.setdefault(
                (ln.product_id, ln.unit_price_fen),
                {
                    "product_id": ln.product_id,
                    "sku": ln.sku,
                    "unit_price_fen": ln.unit_price_fen,
                    "quantity": 0,
                    "grams": 0,
                    "fen": 0,
                },
            )
            entry["quantity"] += ln.quantity
            entry["grams"] += ln.grams
            entry["fen"] += ln.fen
    return {k: v for k, v in net.items() if v["quantity"] != 0}


async def correct_sale(
    session: AsyncSession,
    store: Store,
    original: Sale,
    body: CorrectionCreate,
    *,
    actor: str,
    now: datetime,
) -> SalePublic:
    """Record a correction or void of ``original`` (already loaded for this store and locked).

    Allowed after the day is closed: that is what corrections are for."""
    if original.kind != "sale":
        raise NotAnOriginalSale()
    if body.kind == "void" and body.lines is not None:
        raise Unprocessable(
            "A void cancels every line; send no lines (or use kind "
            "'correction' with the lines the sale should have had)."
        )
    if body.kind == "correction" and not body.lines:
        raise Unprocessable(
            "A correction needs the lines the sale should have had; to cancel "
            "the whole sale use kind 'void'."
        )
    corrections = await repo.corrections_of(session, original.id)
    if any(c.kind == "void" for c in corrections):
        raise SaleVoided()
    lines_by_sale = await repo.lines_of(session, [original.id, *[c.id for c in corrections]])
    current = _net_lines(list(lines_by_sale.values()))

    wanted: dict[tuple[uuid.UUID, int], int] = defaultdict(int)
    products = await repo.products_by_ids(session, [k[0] for k in current])
    if body.lines:
        catalogue = await repo.products_by_skus(session, (ln.sku for ln in body.lines))
        # A product archived since the sale may stay on its corrected lines, not be added.
        in_force = frozenset(v["sku"] for v in current.values())
        for index, line in enumerate(body.lines, 1):
            product = check_line(index, line, catalogue, allow_archived=in_force)
            products[product.id] = product
            wanted[(product.id, line.unit_price_fen)] += line.quantity

    delta_lines: list[dict[str, Any]] = []
    for key in sorted(set(current) | set(wanted), key=lambda k: (str(k[0]), k[1])):
        change = wanted.get(key, 0) - (current[key]["quantity"] if key in current else 0)
        if change == 0:
            continue
        product = products[key[0]]
        delta_lines.append(
            {
                "line_no": len(delta_lines) + 1,
                "product_id": product.id,
                "sku": product.sku,
                "quantity": change,
                "unit_price_fen": key[1],
                "grams": change * product.net_weight_grams,
                "fen": change * key[1],
            }
        )
    if not delta_lines:
        raise Unprocessable(
            "The correction changes nothing: its lines equal the lines in force.",
            reason="no_change",
        )

    correction_id = uuid.uuid4()
    totals = {
        "total_quantity": sum(d["quantity"] for d in delta_lines),
        "total_grams": sum(d["grams"] for d in delta_lines),
        "total_fen": sum(d["fen"] for d in delta_lines),
    }
    await repo.insert_sales(
        session,
        [
            {
                "id": correction_id,
                "store_id": store.id,
                "kind": body.kind,
                "receipt_number": original.receipt_number,
                "original_sale_id": original.id,
                "sold_at": original.sold_at,
                "business_date": original.business_date,
                **totals,
                "line_count": len(delta_lines),
                "reason": body.reason,
                "batch_id": None,
                "recorded_at": now,
                "recorded_by": actor,
            }
        ],
        [d | {"sale_id": correction_id} for d in delta_lines],
    )
    await repo.add_to_rollups(
        session,
        [
            (original.business_date, store.id, d["product_id"], d["quantity"], d["grams"], d["fen"])
            for d in delta_lines
        ],
    )
    current_grams = sum(v["grams"] for v in current.values()) + totals["total_grams"]
    current_fen = sum(v["fen"] for v in current.values()) + totals["total_fen"]
    supplier_of = {pid: p.supplier_id for pid, p in products.items()}
    await add_events(
        session,
        [
            SaleCorrected(
                correction_id=correction_id,
                sale_id=original.id,
                kind=body.kind,
                store_id=store.id,
                receipt_number=original.receipt_number,
                business_date=original.business_date,
                lines=_line_data(delta_lines, supplier_of),
                delta_grams=totals["total_grams"],
                delta_fen=totals["total_fen"],
                current_total_grams=current_grams,
                current_total_fen=current_fen,
            )
        ],
        source=SOURCE,
    )
    return SalePublic(
        id=correction_id,
        store_id=store.id,
        kind=SaleKind(body.kind),
        receipt_number=original.receipt_number,
        original_sale_id=original.id,
        sold_at=original.sold_at,
        business_date=original.business_date,
        recorded_at=now,
        reason=body.reason,
        lines=[SaleLinePublic.model_validate(d) for d in delta_lines],
        **totals,
    )


# --- reading sales -----------------------------------------------------------------------------


def sale_public(sale: Sale, lines: Sequence[SaleLine]) -> SalePublic:
    return SalePublic.model_validate(
        sale.model_dump()
        | {"lines": [SaleLinePublic.model_validate(ln.model_dump()) for ln in lines]}
    )


async def sale_detail(session: AsyncSession, sale: Sale) -> SaleDetail:
    if sale.kind != "sale":
        lines = await repo.lines_of(session, [sale.id])
        return SaleDetail.model_validate(sale_public(sale, lines[sale.id]).model_dump())
    corrections = await repo.corrections_of(session, sale.id)
    lines = await repo.lines_of(session, [sale.id, *[c.id for c in corrections]])
    net = _net_lines(list(lines.values()))
    status = (
        "voided"
        if any(c.kind == "void" for c in corrections)
        else "corrected"
        if corrections
        else "recorded"
    )
    current = [SaleLinePublic(line_no=i, **v) for i, v in enumerate(net.values(), 1)]
    return SaleDetail.model_validate(
        sale_public(sale, lines[sale.id]).model_dump()
        | {
            "status": status,
            "corrections": [sale_public(c, lines[c.id]) for c in corrections],
            "current_lines": current,
            "current_total_grams": sum(v["grams"] for v in net.values()),
            "current_total_fen": sum(v["fen"] for v in net.values()),
        }
    )


async def sales_page(session: AsyncSession, sales: list[Sale]) -> list[SalePublic]:
    lines = await repo.lines_of(session, [s.id for s in sales])
    return [sale_public(s, lines[s.id]) for s in sales]


# --- business days -----------------------------------------------------------------------------


def _day_public(store_id: uuid.UUID, day: date, row: Any, current: dict[str, int]) -> DayPublic:
    closed = row is not None and row.closed_at is not None
    return DayPublic(
        store_id=store_id,
        business_date=day,
        closed=closed,
        closed_at=row.closed_at if closed else None,
        closed_totals={
            "sale_count": row.sale_count,
            "total_quantity": row.total_quantity,
            "total_grams": row.total_grams,
            "total_fen": row.total_fen,
        }
        if closed
        else None,
        current_totals=current,
    )


async def close_day(
    session: AsyncSession, store: Store, day: date, *, actor: str, now: datetime
) -> DayPublic:
    _ensure_active(store)
    if day > china_today(now):
        raise DayInFuture(day)
    if day < EARLIEST_SALE.date():
        raise DayBeforeRecords(day)
    row = await repo.lock_day_for_close(session, store.id, day)
    if row.closed_at is not None:
        raise DayAlreadyClosed(day)
    totals = await repo.day_totals(session, store.id, day)
    await repo.mark_day_closed(
        session, store.id, day, {"closed_at": now, "closed_by": actor, **totals}
    )
    await add_events(
        session,
        [DayClosedEvent(store_id=store.id, business_date=day, closed_at=now, **totals)],
        source=SOURCE,
    )
    row = await repo.get_day(session, store.id, day)
    return _day_public(store.id, day, row, totals)


async def day_view(session: AsyncSession, store: Store, day: date) -> DayPublic:
    row = await repo.get_day(session, store.id, day)
    return _day_public(store.id, day, row, await repo.day_totals(session, store.id, day))


# --- statistics and traceability ---------------------------------------------------------------


def _is_whole_months(date_from: date | None, date_to: date | None) -> bool:
    if date_from is not None and date_from.day != 1:
        return False
    # The last day of its month, without adding a day (9999-12-31 + 1 day overflows).
    return date_to is None or date_to.day == calendar.monthrange(date_to.year, date_to.month)[1]


def _stats_row(values: dict[str, Any]) -> StatsRow:
    grams, fen = int(values.pop("grams")), int(values.pop("fen"))
    quantity = int(values.pop("quantity"))
    month = values.pop("month", None)
    return StatsRow(
        **values,
        month=month.strftime("%Y-%m") if month else None,
        quantity=quantity,
        grams=grams,
        tonnes=tonnes(grams),
        fen=fen,
        yuan=yuan(fen),
    )


async def statistics(
    session: AsyncSession,
    *,
    date_from: date | None,
    date_to: date | None,
    group_by: Sequence[str],
    store_id: uuid.UUID | None = None,
    supplier_id: uuid.UUID | None = None,
    category: str | None = None,
    township: str | None = None,
) -> StatsResult:
    """Whole-month periods read the monthly rollup; any other period the daily one."""
    if date_from and date_to and date_from > date_to:
        raise Unprocessable("date_from is after date_to.")
    groups = [g for g in repo.GROUPS if g in set(group_by)]
    monthly = _is_whole_months(date_from, date_to)
    filters: dict[str, Any] = {
        "store_id": store_id,
        "supplier_id": supplier_id,
        "category": category,
        "township": township,
    }
    rows = await repo.statistics(
        session, monthly=monthly, date_from=date_from, date_to=date_to, group_by=groups, **filters
    )
    total_rows = await repo.statistics(
        session, monthly=monthly, date_from=date_from, date_to=date_to, group_by=[], **filters
    )
    total = dict(total_rows[0]._mapping) if total_rows else {"quantity": 0, "grams": 0, "fen": 0}
    return StatsResult(
        date_from=date_from,
        date_to=date_to,
        group_by=groups,
        source="monthly" if monthly else "daily",
        rows=[_stats_row(dict(r._mapping)) for r in rows],
        total=_stats_row(total),
    )


async def trace(session: AsyncSession, sale: Sale) -> TraceResult:
    store = await session.get(Store, sale.store_id)
    assert store is not None  # a sale's store is never deleted (foreign key)
    rows = await repo.trace_lines(session, sale.id)
    lines = [TraceLine.model_validate(dict(r._mapping)) for r in rows]
    households = {ln.supplier_id: ln.poor_households_linked for ln in lines}
    return TraceResult(
        sale_id=sale.id,
        kind=SaleKind(sale.kind),
        store_id=sale.store_id,
        store_name=store.name,
        receipt_number=sale.receipt_number,
        business_date=sale.business_date,
        lines=lines,
        suppliers=len(households),
        poor_households_linked=sum(households.values()),
    )
