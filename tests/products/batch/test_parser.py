"""Reading NDJSON and CSV batch bodies, without a database."""

import pytest

from services.products.batch.parser import parse_csv, parse_ndjson
from services.products.errors import BatchTooLarge, BatchUnreadable


class TestParsing:
    def test_csv_quoted_fields_and_line_numbers(self):
        text = (
            "receipt_number,sold_at,sku,quantity,unit_price_fen\n"
            '"R,1",2024-03-10T04:00:00Z,"TEA-1",2,100\n'
            "\n"
            "R2,2024-03-10T04:00:00Z,TEA-1,1,100\n"
        )
        entries = parse_csv(text, 10)
        assert [(e.receipt_number, e.lines) for e in entries] == [("R,1", [2]), ("R2", [4])]
        assert entries[0].sale is not None and entries[0].sale.lines[0].quantity == 2

    def test_csv_header_order_is_free(self):
        text = "sku,quantity,unit_price_fen,receipt_number,sold_at\nT,1,5,R,2024-03-10T04:00:00Z\n"
        [entry] = parse_csv(text, 10)
        assert entry.sale is not None and entry.sale.lines[0].unit_price_fen == 5

    def test_limits_count_data_lines_only(self):
        text = "receipt_number,sold_at,sku,quantity,unit_price_fen\n" + "\n".join(
            f"R{i},2024-03-10T04:00:00Z,T,1,1" for i in range(3)
        )
        assert len(parse_csv(text, 3)) == 3
        with pytest.raises(BatchTooLarge) as err:
            parse_csv(text, 2)
        assert err.value.extensions["line"] == 4
        with pytest.raises(BatchTooLarge):
            parse_ndjson("{}\n{}\n{}\n", 2)

    def test_csv_without_header(self):
        with pytest.raises(BatchUnreadable):
            parse_csv("", 10)
