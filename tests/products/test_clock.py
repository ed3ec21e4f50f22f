"""The business day: a store's date in China time."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.products.clock import business_date_of


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
