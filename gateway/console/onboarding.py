"""Reading the spreadsheet that onboards stores: one row per store (name, kind, address), as an
.xlsx workbook or a CSV file (UTF-8, with or without BOM, or GBK as Excel on Chinese Windows
saves it). Pure: no API call, so it is tested on its own."""

import csv
import io
import zipfile
from dataclasses import dataclass, field

from openpyxl import load_workbook

from gateway.console.problems import N_

MAX_ROWS = 200
# Header cells (lower-cased, spaces trimmed) → the field they hold.
HEADERS: dict[str, str] = {
    "name": "name",
    "store": "name",
    "store name": "name",
    "名称": "name",
    "门店名称": "name",
    "门店": "name",
    "kind": "kind",
    "type": "kind",
    "类型": "kind",
    "门店类型": "kind",
    "address": "address",
    "地址": "address",
    "门店地址": "address",
}
KINDS: dict[str, str] = {
    "flagship_store": "flagship_store",
    "flagship store": "flagship_store",
    "旗舰店": "flagship_store",
    "exhibition_centre": "exhibition_centre",
    "exhibition centre": "exhibition_centre",
    "exhibition center": "exhibition_centre",
    "展销中心": "exhibition_centre",
}
NO_HEADER = N_("The first row must name the columns: name (名称), kind (类型) and address (地址).")
UNREADABLE = N_("The file is neither an Excel workbook (.xlsx) nor a CSV file.")
TOO_MANY = N_("The file has more than 200 stores; split it.")
EMPTY = N_("The file has no store.")
ROW_NO_NAME = N_("The name is missing.")
ROW_NO_ADDRESS = N_("The address is missing.")
ROW_BAD_KIND = N_("The kind must be 旗舰店 (flagship_store) or 展销中心 (exhibition_centre).")
ROW_TWICE = N_("The same store name appears on an earlier row.")


@dataclass
class StoreRow:
    line: int  # the row of the spreadsheet (the header is row 1)
    name: str
    kind: str
    address: str
    problems: list[str] = field(default_factory=list)  # untranslated messages


class SheetError(ValueError):
    """The file as a whole cannot be read (``message`` is an untranslated sentence)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _cell(value: object) -> str:
    return "" if value is None else str(value).strip()


def _table(filename: str, content: bytes) -> list[list[str]]:
    if content[:2] == b"PK" or filename.lower().endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise SheetError(UNREADABLE) from exc
        sheet = book.worksheets[0]
        rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
        return rows
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise SheetError(UNREADABLE)
    if "\x00" in text:
        raise SheetError(UNREADABLE)
    return [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text))]


def read_stores(filename: str, content: bytes) -> list[StoreRow]:
    """The stores of the file, each with what is wrong with it (empty when it is good)."""
    rows = [row for row in _table(filename, content)]
    while rows and not any(rows[0]):
        rows.pop(0)
    if not rows:
        raise SheetError(EMPTY)
    columns = {HEADERS.get(h.lower()): i for i, h in enumerate(rows[0]) if HEADERS.get(h.lower())}
    if not {"name", "kind", "address"} <= set(columns):
        raise SheetError(NO_HEADER)
    stores: list[StoreRow] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        values = {k: row[i] if i < len(row) else "" for k, i in columns.items() if k}
        kind = KINDS.get(values["kind"].lower(), "")
        store = StoreRow(number, values["name"], kind, values["address"])
        if not store.name:
            store.problems.append(ROW_NO_NAME)
        if not kind:
            store.problems.append(ROW_BAD_KIND)
        if not store.address:
            store.problems.append(ROW_NO_ADDRESS)
        if store.name and store.name in seen:
            store.problems.append(ROW_TWICE)
        seen.add(store.name)
        stores.append(store)
        if len(stores) > MAX_ROWS:
            raise SheetError(TOO_MANY)
    if not stores:
        raise SheetError(EMPTY)
    return stores
