"""Use cases of the sales: recording sales, correcting and voiding them, reading them back and
tracing them to their suppliers. Writes events to the outbox; never commits.

A correction or a void is a new record whose lines are the signed delta from the lines in force,
attributed to the original sale's business day; the original is never changed. The rollups are
updated in the same transaction as every sale and correction."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.products.catalogue import service as catalogue
from services.products.errors import NotAnOriginalSale, SaleNotFound, SaleVoided
from services.products.events import SaleCorrected, SaleRecorded
from services.products.sales import repository as repo
from services.products.sales import rules
from services.products.sales.rules import LineKey, PreparedSale
from services.products.sales.schemas import (
    CorrectionCreate,
    SaleDetail,
    SaleKind,
    SaleLinePublic,
    SalePublic,
    TraceLine,
    TraceResult,
)
from services.products.sales.tables import Sale, SaleLine
from services.products.statistics import service as statistics
from services.products.stores import service as stores
from services.products.stores.tables import Store
from shared.errors import Unprocessable
from shared.events import add_events

# --- loading -----------------------------------------------------------------------------------


async def find_sale(session: AsyncSession, sale_id: uuid.UUID) -> Sale | None:
    """Any store's sale (staff)."""
    return await repo.get_sale(session, sale_id)


async def get_own_sale(
    session: AsyncSession, store: Store, sale_id: uuid.UUID, *, for_update: bool = False
) -> Sale:
    """A sale of ``store``; another store's sale is 404, as if it did not exist. With
    ``for_update`` it is locked for the transaction on PostgreSQL, so that two corrections of one
    sale run one after the other and each sees the lines the other left in force."""
    sale = await repo.get_sale(session, sale_id, for_update=for_update)
    if sale is None or sale.store_id != store.id:
        raise SaleNotFound(sale_id)
    return sale


async def existing_receipts(
    session: AsyncSession, store_id: uuid.UUID, receipts: Sequence[str]
) -> set[str]:
    """Which of these receipt numbers the store has already recorded."""
    return await repo.existing_receipts(session, store_id, receipts)


# --- recording ---------------------------------------------------------------------------------


def _sale_row(
    store_id: uuid.UUID,
    sale: PreparedSale,
    *,
    actor: str,
    batch_id: uuid.UUID | None,
    recorded_at: datetime,
) -> dict[str, Any]:
    return {
        "id": sale.id,
        "store_id": store_id,
        "kind": "sale",
        "receipt_number": sale.receipt_number,
        "original_sale_id": None,
        "sold_at": sale.sold_at,
        "business_date": sale.business_date,
        "total_quantity": sale.total_quantity,
        "total_grams": sale.total_grams,
        "total_fen": sale.total_fen,
        "line_count": len(sale.lines),
        "reason": None,
        "batch_id": batch_id,
        "recorded_at": recorded_at,
        "recorded_by": actor,
    }


# Sales written per round of statements. A batch of 5,000 built every row, event and outbox
# payload at once (≈ 35 MB of Python objects at its peak, which the process kept as RSS after
# the upload); in rounds of 500 the peak is a tenth of that, for 10 statements where there was 1.
RECORD_CHUNK = 500


async def record_sales(
    session: AsyncSession,
    store_id: uuid.UUID,
    sales: Sequence[PreparedSale],
    *,
    actor: str,
    recorded_at: datetime,
    batch_id: uuid.UUID | None = None,
) -> None:
    """Insert prepared sales (already checked against closed days and duplicates), their lines,
    rollups and events: each kind of row in one statement per ``RECORD_CHUNK`` sales, all in the
    caller's transaction."""
    for start in range(0, len(sales), RECORD_CHUNK):
        await _record_chunk(
            session,
            store_id,
            sales[start : start + RECORD_CHUNK],
            actor=actor,
            recorded_at=recorded_at,
            batch_id=batch_id,
        )


async def _record_chunk(
    session: AsyncSession,
    store_id: uuid.UUID,
    sales: Sequence[PreparedSale],
    *,
    actor: str,
    recorded_at: datetime,
    batch_id: uuid.UUID | None,
) -> None:
    sale_rows, line_rows, contributions, events = [], [], [], []
    for sale in sales:
        sale_rows.append(
            _sale_row(store_id, sale, actor=actor, batch_id=batch_id, recorded_at=recorded_at)
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
                lines=rules.line_data(sale.lines, sale.supplier_of),
                total_grams=sale.total_grams,
                total_fen=sale.total_fen,
                batch_id=batch_id,
            )
        )
    await repo.insert_sales(session, sale_rows, line_rows)
    await statistics.add_to_rollups(session, contributions)
    await add_events(session, events)


def recorded_sale(store_id: uuid.UUID, sale: PreparedSale, *, recorded_at: datetime) -> SalePublic:
    """A sale just recorded, as the API shows it."""
    return SalePublic(
        id=sale.id,
        store_id=store_id,
        kind=SaleKind.sale,
        receipt_number=sale.receipt_number,
        original_sale_id=None,
        sold_at=sale.sold_at,
        business_date=sale.business_date,
        recorded_at=recorded_at,
        total_quantity=sale.total_quantity,
        total_grams=sale.total_grams,
        total_fen=sale.total_fen,
        reason=None,
        lines=[SaleLinePublic.model_validate(ln) for ln in sale.lines],
    )


# --- corrections -------------------------------------------------------------------------------


def _check_correction(original: Sale, body: CorrectionCreate) -> None:
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


async def _lines_in_force(session: AsyncSession, original: Sale) -> dict[LineKey, dict[str, Any]]:
    """The original's lines net of its corrections; a voided sale takes no more corrections."""
    corrections = await repo.corrections_of(session, original.id)
    if any(c.kind == "void" for c in corrections):
        raise SaleVoided()
    lines_by_sale = await repo.lines_of(session, [original.id, *[c.id for c in corrections]])
    return rules.net_lines(list(lines_by_sale.values()))


async def _wanted_lines(
    session: AsyncSession, body: CorrectionCreate, current: dict[LineKey, dict[str, Any]]
) -> tuple[dict[LineKey, int], dict[uuid.UUID, Any]]:
    """The quantities the correction wants per (product, price), and the catalogue rows of every
    product in force or wanted. A product archived since the sale may stay on its corrected
    lines, not be added."""
    wanted: dict[LineKey, int] = defaultdict(int)
    products = await catalogue.products_by_ids(session, [k[0] for k in current])
    if body.lines:
        catalogue_rows = await catalogue.products_by_skus(session, (ln.sku for ln in body.lines))
        in_force = frozenset(v["sku"] for v in current.values())
        for index, line in enumerate(body.lines, 1):
            product = rules.check_line(index, line, catalogue_rows, allow_archived=in_force)
            products[product.id] = product
            wanted[(product.id, line.unit_price_fen)] += line.quantity
    return wanted, products


async def _record_correction(
    session: AsyncSession,
    correction: SalePublic,
    original: Sale,
    delta: list[dict[str, Any]],
    *,
    actor: str,
) -> None:
    """The correction's row, its delta lines and their share of the rollups (on the original's
    business day)."""
    row = correction.model_dump(exclude={"lines"}) | {
        "line_count": len(delta),
        "batch_id": None,
        "recorded_by": actor,
    }
    row["kind"] = str(correction.kind)
    await repo.insert_sales(session, [row], [d | {"sale_id": correction.id} for d in delta])
    await statistics.add_to_rollups(
        session,
        [
            (
                original.business_date,
                original.store_id,
                d["product_id"],
                d["quantity"],
                d["grams"],
                d["fen"],
            )
            for d in delta
        ],
    )


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
    _check_correction(original, body)
    current = await _lines_in_force(session, original)
    wanted, products = await _wanted_lines(session, body, current)
    delta = rules.delta_lines(current, wanted, products)
    if not delta:
        raise Unprocessable(
            "The correction changes nothing: its lines equal the lines in force.",
            reason="no_change",
        )
    totals = rules.totals_of(delta)
    correction = SalePublic(
        id=uuid.uuid4(),
        store_id=store.id,
        kind=SaleKind(body.kind),
        receipt_number=original.receipt_number,
        original_sale_id=original.id,
        sold_at=original.sold_at,
        business_date=original.business_date,
        recorded_at=now,
        reason=body.reason,
        lines=[SaleLinePublic.model_validate(d) for d in delta],
        **totals,
    )
    await _record_correction(session, correction, original, delta, actor=actor)
    supplier_of = {pid: p.supplier_id for pid, p in products.items()}
    event = SaleCorrected(
        correction_id=correction.id,
        sale_id=original.id,
        kind=body.kind,
        store_id=store.id,
        receipt_number=original.receipt_number,
        business_date=original.business_date,
        lines=rules.line_data(delta, supplier_of),
        delta_grams=totals["total_grams"],
        delta_fen=totals["total_fen"],
        current_total_grams=sum(v["grams"] for v in current.values()) + totals["total_grams"],
        current_total_fen=sum(v["fen"] for v in current.values()) + totals["total_fen"],
    )
    await add_events(session, [event])
    return correction


# --- reading -----------------------------------------------------------------------------------


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
    net = rules.net_lines(list(lines.values()))
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


async def list_sales(
    session: AsyncSession,
    *,
    store_id: uuid.UUID | None,
    date_from: date | None,
    date_to: date | None,
    kind: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[SalePublic], str | None]:
    """A page of sales, newest sale time first, with their lines (two queries a page)."""
    sales, next_cursor = await repo.list_sales(
        session,
        store_id=store_id,
        date_from=date_from,
        date_to=date_to,
        kind=kind,
        limit=limit,
        cursor=cursor,
    )
    lines = await repo.lines_of(session, [s.id for s in sales])
    return [sale_public(s, lines[s.id]) for s in sales], next_cursor


async def sale_count_on(session: AsyncSession, store_id: uuid.UUID, day: date) -> int:
    """Sales of a store's business day still in force: recorded ones less voided ones."""
    counts = await repo.count_by_kind_on(session, store_id, day, ["sale", "void"])
    return counts.get("sale", 0) - counts.get("void", 0)


async def trace(session: AsyncSession, sale: Sale) -> TraceResult:
    store = await stores.get_store(session, sale.store_id)
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
