"""Spreadsheets of what a list page shows: headers in the reader's language, money in yuan with
two decimals (exact: Decimal, never float), times in China time."""

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from starlette.responses import Response

from gateway.console.formatting import china_naive, yuan_decimal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Kind = Literal["text", "fen", "time", "int"]


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = "text"


def _cell(sheet: Worksheet, value: Any, kind: Kind) -> WriteOnlyCell:
    if kind == "fen":
        cell = WriteOnlyCell(sheet, value=yuan_decimal(value))
        cell.number_format = "#,##0.00"
    elif kind == "time":
        cell = WriteOnlyCell(sheet, value=china_naive(value))
        cell.number_format = "yyyy-mm-dd hh:mm"
    else:
        cell = WriteOnlyCell(sheet, value=value)
    return cell


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


def workbook(title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> bytes:
    return workbook_of([Sheet(title, columns, rows)])


def workbook_of(sheets: Iterable[Sheet]) -> bytes:
    """A workbook of several sheets (a page with several lists, e.g. the dashboard)."""
    book = Workbook(write_only=True)
    for content in sheets:
        sheet = book.create_sheet(content.title[:31])
        header = []
        for column in content.columns:
            cell = WriteOnlyCell(sheet, value=column.header)
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        for row in content.rows:
            sheet.append(
                [_cell(sheet, v, c.kind) for v, c in zip(row, content.columns, strict=True)]
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(filename: str, content: bytes) -> Response:
    # RFC 6266: an ASCII fallback and the UTF-8 name (Chinese file names on Windows).
    return Response(
        content,
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="export.xlsx"; '
            f"filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )
