"""A day's sales uploaded in one request (see ``parser.py`` for the two formats).

Each sale is accepted or rejected on its own, with a reason on the line that broke a rule; good
sales are recorded even when others are bad. Everything the batch needs from the database is
loaded once (catalogue rows, closed days, existing receipts) and every kind of row is written in
one statement per round of ``RECORD_CHUNK`` sales (sales/service.py), all in the request's one
transaction. Never commits.
"""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.products.batch.parser import Entry, Format, parse_csv, parse_ndjson
from services.products.batch.schemas import BatchLineResult, BatchResult
from services.products.catalogue import service as catalogue
from services.products.days import service as days
from services.products.errors import BatchUnreadable, SaleRejected
from services.products.sales import service as sales
from services.products.sales.rules import PreparedSale, prepare_sale
from services.products.stores import service as stores
from services.products.stores.tables import Store


async def upload_batch(
    session: AsyncSession,
    store: Store,
    fmt: Format,
    text: str,
    *,
    actor: str,
    now: datetime,
    max_lines: int,
    skew_seconds: int,
) -> BatchResult:
    stores.ensure_active(store)
    entries = parse_ndjson(text, max_lines) if fmt == "ndjson" else parse_csv(text, max_lines)
    if not entries:
        raise BatchUnreadable("The batch holds no sales.")
    ready = await _prepare(session, fmt, entries, now=now, skew_seconds=skew_seconds)
    accepted = await _accept_open_and_new(session, store, ready)
    batch_id = uuid.uuid4()
    await sales.record_sales(
        session, store.id, accepted, actor=actor, batch_id=batch_id, recorded_at=now
    )
    return _result(batch_id, fmt, entries, accepted)


async def _prepare(
    session: AsyncSession, fmt: Format, entries: list[Entry], *, now: datetime, skew_seconds: int
) -> list[tuple[Entry, PreparedSale]]:
    """Apply the rules that need no lock to every readable sale, with one catalogue query."""
    candidates = [(e, e.sale) for e in entries if e.error is None and e.sale is not None]
    catalogue_rows = await catalogue.products_by_skus(
        session, (ln.sku for _, sale in candidates for ln in sale.lines)
    )
    ready: list[tuple[Entry, PreparedSale]] = []
    for entry, sale in candidates:
        try:
            ready.append(
                (entry, prepare_sale(sale, catalogue_rows, now=now, skew_seconds=skew_seconds))
            )
        except SaleRejected as exc:
            at = None
            if exc.line is not None:
                at = entry.lines[exc.line - 1] if fmt == "csv" else entry.lines[0]
            entry.reject(exc.reason_code, exc.detail, at)
    return ready


async def _accept_open_and_new(
    session: AsyncSession, store: Store, ready: list[tuple[Entry, PreparedSale]]
) -> list[PreparedSale]:
    """Lock the sales' days shared and reject sales of closed days and receipts already
    recorded; return the sales to record."""
    closed = await days.lock_open_days(session, store.id, {p.business_date for _, p in ready})
    existing = await sales.existing_receipts(
        session, store.id, [p.receipt_number for _, p in ready]
    )
    accepted: list[PreparedSale] = []
    for entry, prepared in ready:
        if prepared.business_date in closed:
            entry.reject(
                "day_closed",
                f"The business day {prepared.business_date.isoformat()} is closed for this store.",
            )
        elif prepared.receipt_number in existing:
            entry.reject(
                "duplicate_receipt",
                f"Receipt {prepared.receipt_number!r} is already recorded for this store.",
            )
        else:
            entry.prepared = prepared
            accepted.append(prepared)
    return accepted


def _rejected_lines(entry: Entry) -> list[BatchLineResult]:
    """Every line of a rejected sale: the line at fault with its reason, the others (rows of the
    same CSV receipt) pointing at it."""
    code, reason, at = entry.error or ("invalid", "Rejected.", entry.lines[0])
    results = []
    for n in entry.lines:
        if n == at:
            results.append(
                BatchLineResult(
                    line=n,
                    receipt_number=entry.receipt_number,
                    status="rejected",
                    code=code,
                    reason=reason,
                )
            )
        else:
            results.append(
                BatchLineResult(
                    line=n,
                    receipt_number=entry.receipt_number,
                    status="rejected",
                    code="receipt_rejected",
                    reason=f"Receipt {entry.receipt_number!r} was rejected because of line "
                    f"{at}: {reason}",
                )
            )
    return results


def _result(
    batch_id: uuid.UUID, fmt: Format, entries: list[Entry], accepted: list[PreparedSale]
) -> BatchResult:
    results: list[BatchLineResult] = []
    lines_rejected = 0
    for entry in entries:
        if entry.error is None and entry.prepared is not None:
            results.extend(
                BatchLineResult(
                    line=n,
                    receipt_number=entry.receipt_number,
                    status="accepted",
                    sale_id=entry.prepared.id,
                )
                for n in entry.lines
            )
            continue
        rejected = _rejected_lines(entry)
        lines_rejected += len(rejected)
        results.extend(rejected)
    results.sort(key=lambda r: r.line)
    return BatchResult(
        batch_id=batch_id,
        format=fmt,
        lines=len(results),
        sales_accepted=len(accepted),
        sales_rejected=len(entries) - len(accepted),
        lines_accepted=len(results) - lines_rejected,
        lines_rejected=lines_rejected,
        total_grams=sum(s.total_grams for s in accepted),
        total_fen=sum(s.total_fen for s in accepted),
        results=results,
    )
