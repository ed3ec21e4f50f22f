"""A day's sales uploaded in one request: NDJSON (one sale per line) or CSV (one sale line per row,
rows of a receipt grouped by ``receipt_number``).

Each sale is accepted or rejected on its own, with a reason on the line that broke a rule; good
sales are recorded even when others are bad. Everything the batch needs from the database is
loaded once (catalogue rows, closed days, existing receipts) and every kind of row is written in
one statement, all in the request's one transaction.
"""

import csv
import io
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.products import repository as repo
from services.products.errors import BatchTooLarge, BatchUnreadable, SaleRejected
from services.products.models import BatchLineResult, BatchResult, SaleCreate, Store
from services.products.service import PreparedSale, _ensure_active, prepare_sale, record_sales

Format = Literal["ndjson", "csv"]
CSV_COLUMNS = ("receipt_number", "sold_at", "sku", "quantity", "unit_price_fen")
# A CSV cell is text: a number column holds a whole number in ASCII digits (int() would also take
# " 3", "1_000" and other scripts' digits; "128.00" is yuan sent as fen, refused, not rounded).
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,30}")


@dataclass
class Entry:
    """One sale of the batch: the body lines it came from and what became of it."""

    lines: list[int]
    receipt_number: str | None
    sale: SaleCreate | None = None
    error: tuple[str, str, int] | None = None  # (code, reason, body line at fault)
    prepared: PreparedSale | None = None
    rows: list[dict[str, str]] = field(default_factory=list)

    def reject(self, code: str, reason: str, line: int | None = None) -> None:
        self.error = (code, reason, line if line is not None else self.lines[0])


def _summary(exc: ValidationError, *, strip_lines: bool = False) -> str:
    parts = []
    for err in exc.errors(include_url=False, include_input=False, include_context=False)[:3]:
        loc = [str(p) for p in err.get("loc", ())]
        if strip_lines and len(loc) >= 3 and loc[0] == "lines":
            loc = loc[2:]
        parts.append(f"{'.'.join(loc) or 'line'}: {err.get('msg', '')}")
    return "; ".join(parts)


def _count(number: int, count: int, max_lines: int) -> None:
    if count > max_lines:
        raise BatchTooLarge(
            f"A batch holds at most {max_lines:,} lines; line {number} is over "
            "the limit. Split the upload into several batches.",
            line=number,
        )


def parse_ndjson(text: str, max_lines: int) -> list[Entry]:
    entries: list[Entry] = []
    first_line_of: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), 1):
        raw = raw.strip()
        if not raw:
            continue
        _count(number, len(entries) + 1, max_lines)
        entry = Entry(lines=[number], receipt_number=None)
        entries.append(entry)
        try:
            entry.sale = SaleCreate.model_validate_json(raw)
        except ValidationError as exc:
            try:
                receipt = json.loads(raw).get("receipt_number")
                entry.receipt_number = receipt[:64] if isinstance(receipt, str) else None
            except (ValueError, AttributeError):
                entry.reject("invalid_json", "The line is not a JSON object.")
                continue
            entry.reject("invalid", _summary(exc))
            continue
        entry.receipt_number = entry.sale.receipt_number
        first = first_line_of.setdefault(entry.sale.receipt_number, number)
        if first != number:
            entry.reject(
                "duplicate_in_batch",
                f"Receipt {entry.sale.receipt_number!r} already "
                f"appears on line {first} of this batch.",
            )
    return entries


def _not_whole_number(column: str) -> str:
    if column == "unit_price_fen":
        return (
            "unit_price_fen must be a whole number of fen in digits only, "
            "e.g. 12800 for 128.00 yuan."
        )
    return f"{column} must be a whole number in digits only, e.g. 3."


def parse_csv(text: str, max_lines: int) -> list[Entry]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise BatchUnreadable(f"The CSV header cannot be read: {exc}.", line=1) from None
    if not header:
        raise BatchUnreadable(
            f"The CSV body is empty; the first line must be the header {','.join(CSV_COLUMNS)}.",
            line=1,
        )
    names = [h.strip().lower() for h in header]
    missing = [c for c in CSV_COLUMNS if c not in names]
    unknown = [n for n in names if n not in CSV_COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        raise BatchUnreadable(
            f"The CSV header must name the columns {', '.join(CSV_COLUMNS)} once each "
            f"(missing: {', '.join(missing) or 'none'}; unknown: {', '.join(unknown) or 'none'}).",
            line=1,
        )
    groups: dict[str, Entry] = {}
    entries: list[Entry] = []
    count = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise BatchUnreadable(
                f"Line {reader.line_num}: the CSV cannot be read: {exc}.", line=reader.line_num
            ) from None
        number = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        count += 1
        _count(number, count, max_lines)
        if len(row) != len(names):
            entry = Entry(lines=[number], receipt_number=None)
            entry.reject("invalid_row", f"Expected {len(names)} fields, found {len(row)}.")
            entries.append(entry)
            continue
        values = {n: cell.strip() for n, cell in zip(names, row, strict=True)}
        receipt = values["receipt_number"]
        if not receipt:
            entry = Entry(lines=[number], receipt_number=None)
            entry.reject("invalid_row", "receipt_number is empty.")
            entries.append(entry)
            continue
        group = groups.get(receipt)
        if group is None:
            group = groups[receipt] = Entry(lines=[], receipt_number=receipt[:64])
            entries.append(group)
        group.lines.append(number)
        group.rows.append(values)
    for entry in groups.values():
        sold_at = entry.rows[0]["sold_at"]
        for number, values in zip(entry.lines, entry.rows, strict=True):
            if values["sold_at"] != sold_at:
                entry.reject(
                    "conflicting_sold_at",
                    f"Rows of receipt {entry.receipt_number!r} "
                    f"disagree on sold_at (line {entry.lines[0]} says {sold_at!r}).",
                    number,
                )
                break
        if entry.error:
            continue
        lines = []
        for number, values in zip(entry.lines, entry.rows, strict=True):
            bad = [
                c for c in ("quantity", "unit_price_fen") if not _WHOLE_NUMBER.fullmatch(values[c])
            ]
            if bad:
                entry.reject("invalid", _not_whole_number(bad[0]), number)
                break
            lines.append(
                {
                    "sku": values["sku"],
                    "quantity": int(values["quantity"]),
                    "unit_price_fen": int(values["unit_price_fen"]),
                }
            )
        if entry.error:
            continue
        try:
            entry.sale = SaleCreate.model_validate(
                {"receipt_number": entry.receipt_number, "sold_at": sold_at, "lines": lines}
            )
        except ValidationError as exc:
            first = exc.errors(include_input=False)[0]
            loc = first.get("loc", ())
            at = (
                entry.lines[loc[1]]
                if len(loc) >= 2
                and loc[0] == "lines"
                and isinstance(loc[1], int)
                and loc[1] < len(entry.lines)
                else entry.lines[0]
            )
            entry.reject("invalid", _summary(exc, strip_lines=True), at)
    return entries


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
    _ensure_active(store)
    entries = parse_ndjson(text, max_lines) if fmt == "ndjson" else parse_csv(text, max_lines)
    if not entries:
        raise BatchUnreadable("The batch holds no sales.")
    candidates = [(e, e.sale) for e in entries if e.error is None and e.sale is not None]
    catalogue = await repo.products_by_skus(
        session, (ln.sku for _, sale in candidates for ln in sale.lines)
    )
    ready: list[tuple[Entry, PreparedSale]] = []
    for entry, sale in candidates:
        try:
            ready.append((entry, prepare_sale(sale, catalogue, now=now, skew_seconds=skew_seconds)))
        except SaleRejected as exc:
            at = None
            if exc.line is not None:
                at = entry.lines[exc.line - 1] if fmt == "csv" else entry.lines[0]
            entry.reject(exc.reason_code, exc.detail, at)
    closed = await repo.lock_open_days(session, store.id, {p.business_date for _, p in ready})
    existing = await repo.existing_receipts(session, store.id, (p.receipt_number for _, p in ready))
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
    batch_id = uuid.uuid4()
    await record_sales(session, store.id, accepted, actor=actor, batch_id=batch_id, recorded_at=now)
    return _result(batch_id, fmt, entries, accepted)


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
        code, reason, at = entry.error or ("invalid", "Rejected.", entry.lines[0])
        for n in entry.lines:
            lines_rejected += 1
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


def content_format(content_type: str | None) -> Format | None:
    media = (content_type or "").split(";")[0].strip().lower()
    if media in ("application/x-ndjson", "application/ndjson", "application/jsonl"):
        return "ndjson"
    if media in ("text/csv", "application/csv"):
        return "csv"
    return None


def decode_body(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text = body[: exc.start].decode("utf-8", "replace")
        raise BatchUnreadable("The batch is not UTF-8 text.", line=text.count("\n") + 1) from None
