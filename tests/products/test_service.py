"""Pure rules of the service: number formatting, business days, batch parsing."""

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.products.batch.parser import parse_csv, parse_ndjson
from services.products.clock import business_date_of
from services.products.errors import BatchTooLarge, BatchUnreadable
from services.products.statistics.service import tonnes, yuan


class TestFormatting:
    @given(st.integers(min_value=-(10**15), max_value=10**15))
    def test_tonnes_is_grams_rounded_to_the_kilogram(self, grams):
        exact = (Decimal(grams) / Decimal(1_000_000)).quantize(
            Decimal("0.001"), rounding=ROUND_HALF_UP
        )
        assert tonnes(grams) == f"{(exact if exact else Decimal('0.000')):.3f}"

    @given(st.integers(min_value=-(10**15), max_value=10**15))
    def test_yuan_is_exact(self, fen):
        assert Decimal(yuan(fen)) == Decimal(fen) / 100
        assert len(yuan(fen).split(".")[1]) == 2

    def test_examples(self):
        assert tonnes(36_100_000) == "36.100"
        assert tonnes(499) == "0.000"
        assert tonnes(500) == "0.001"
        assert tonnes(-400) == "0.000"
        assert tonnes(-1500) == "-0.002"
        assert yuan(13_000_000_000) == "130000000.00"
        assert yuan(-5) == "-0.05"


class TestBusinessDate:
    @given(
        st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        )
    )
    def test_is_the_date_eight_hours_ahead_of_utc(self, moment):
        assert business_date_of(moment) == (moment + timedelta(hours=8)).date()

    def test_midnight(self):
        assert business_date_of(datetime(2024, 3, 10, 15, 59, 59, tzinfo=UTC)) == date(2024, 3, 10)
        assert business_date_of(datetime(2024, 3, 10, 16, 0, tzinfo=UTC)) == date(2024, 3, 11)


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
