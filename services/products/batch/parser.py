"""Reading a batch upload: NDJSON (one sale per line) or CSV (one sale line per row, rows of a
receipt grouped by ``receipt_number``) into entries, each a sale or the reason it was rejected
with the body line at fault. No database: the rules that need one are in ``service.py``."""

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import ValidationError

from services.products.errors import BatchTooLarge, BatchUnreadable
from services.products.sales.rules import PreparedSale
from services.products.sales.schemas import SaleCreate

if TYPE_CHECKING:
    import _csv

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


def _read_header(reader: "_csv.Reader") -> list[str]:
    """The column names of the header (line 1), each named once; anything else is a 422."""
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
    return names


def _group_rows(reader: "_csv.Reader", names: list[str], max_lines: int) -> list[Entry]:
    """Rows grouped by receipt number in order of first appearance; a row that cannot belong to
    a receipt is an entry of its own, rejected."""
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
    return entries


def _receipt_to_sale(entry: Entry) -> None:
    """Turn a receipt's rows into its sale, or reject it at the first row at fault."""
    sold_at = entry.rows[0]["sold_at"]
    for number, values in zip(entry.lines, entry.rows, strict=True):
        if values["sold_at"] != sold_at:
            entry.reject(
                "conflicting_sold_at",
                f"Rows of receipt {entry.receipt_number!r} "
                f"disagree on sold_at (line {entry.lines[0]} says {sold_at!r}).",
                number,
            )
            return
    lines = []
    for number, values in zip(entry.lines, entry.rows, strict=True):
        bad = [c for c in ("quantity", "unit_price_fen") if not _WHOLE_NUMBER.fullmatch(values[c])]
        if bad:
            entry.reject("invalid", _not_whole_number(bad[0]), number)
            return
        lines.append(
            {
                "sku": values["sku"],
                "quantity": int(values["quantity"]),
                "unit_price_fen": int(values["unit_price_fen"]),
            }
        )
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


def parse_csv(text: str, max_lines: int) -> list[Entry]:
    reader = csv.reader(io.StringIO(text, newline=""))
    names = _read_header(reader)
    entries = _group_rows(reader, names, max_lines)
    for entry in entries:
        if entry.error is None:
            _receipt_to_sale(entry)
    return entries


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
