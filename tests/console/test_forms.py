"""Plain tests of the pages' logic: yuan typed by a person into exact fen, and the onboarding
spreadsheet read from .xlsx and CSV (UTF-8 with BOM, GBK) with what is wrong per row."""

import io

import openpyxl
import pytest

from gateway.console.forms import fen
from gateway.console.onboarding import (
    EMPTY,
    NO_HEADER,
    ROW_BAD_KIND,
    ROW_NO_ADDRESS,
    ROW_TWICE,
    UNREADABLE,
    SheetError,
    read_stores,
)


class TestFen:
    @pytest.mark.parametrize(
        ("typed", "expected"),
        [
            ("4500", 450_000),
            ("4500.5", 450_050),
            ("4,500.50", 450_050),
            ("0.01", 1),
            (" 12 ", 1200),
        ],
    )
    def test_exact(self, typed, expected):
        assert fen(typed) == expected

    @pytest.mark.parametrize("typed", ["", "4500.505", "-1", "1e3", "四千", "12.3.4"])
    def test_not_an_amount(self, typed):
        assert fen(typed) is None


def _xlsx(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class TestReadStores:
    def test_xlsx_with_chinese_headers_and_a_row_per_store(self):
        content = _xlsx(
            [
                ["名称", "类型", "地址"],
                ["江南西旗舰店", "旗舰店", "海珠区江南西路"],
                [None, None, None],
                ["协作展销中心", "exhibition_centre", "海珠区新港东路"],
            ]
        )
        rows = read_stores("stores.xlsx", content)
        assert [(r.line, r.name, r.kind, r.problems) for r in rows] == [
            (2, "江南西旗舰店", "flagship_store", []),
            (4, "协作展销中心", "exhibition_centre", []),
        ]

    @pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
    def test_csv_as_excel_saves_it(self, encoding):
        text = "name,kind,address\r\n江南西旗舰店,Flagship Store,海珠区\r\n"
        [row] = read_stores("stores.csv", text.encode(encoding))
        assert (row.name, row.kind, row.address) == ("江南西旗舰店", "flagship_store", "海珠区")

    def test_what_is_wrong_is_said_per_row(self):
        text = "名称,类型,地址\nA店,超市,\nB店,旗舰店,海珠\nB店,旗舰店,海珠\n"
        rows = read_stores("s.csv", text.encode())
        assert [r.problems for r in rows] == [[ROW_BAD_KIND, ROW_NO_ADDRESS], [], [ROW_TWICE]]

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("s.csv", b"store,where\nA,B\n", NO_HEADER),
            ("s.csv", "名称,类型,地址\n".encode(), EMPTY),
            ("s.csv", b"", EMPTY),
            ("s.xlsx", b"PK\x03\x04 not really a workbook", UNREADABLE),
        ],
    )
    def test_unreadable_files(self, name, content, message):
        with pytest.raises(SheetError) as caught:
            read_stores(name, content)
        assert caught.value.message == message
