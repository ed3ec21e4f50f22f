"""Tonnes and yuan as exact decimal strings from integer grams and fen; a period split into the
whole months and the partial ends the two rollups answer."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.products.statistics.repository import periods
from services.products.statistics.service import tonnes, yuan

EDGES = [date.min, date(1, 1, 31), date(1, 2, 1), date(9999, 11, 30), date(9999, 12, 1), date.max]
DAYS = st.one_of(st.dates(date(2023, 11, 1), date(2025, 3, 31)), st.sampled_from(EDGES))


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


def _covers(months, days, day: date) -> int:
    """How many parts of a split period hold ``day``."""
    n = sum(1 for start, end in days if start <= day <= end)
    if months is not None:
        first, last = months
        month = day.replace(day=1)
        n += (first is None or month >= first) and (last is None or month <= last)
    return n


class TestPeriods:
    @given(st.one_of(st.none(), DAYS), st.one_of(st.none(), DAYS))
    def test_every_day_of_a_period_is_in_exactly_one_part(self, a, b):
        if a is not None and b is not None and a > b:
            a, b = b, a
        months, days = periods(a, b)
        assert len(days) <= 2
        for first_day in (d for d in (a, b) if d is not None):
            for offset in range(-40, 41):
                try:
                    day = first_day + timedelta(days=offset)
                except OverflowError:
                    continue
                inside = (a is None or day >= a) and (b is None or day <= b)
                assert _covers(months, days, day) == int(inside), (a, b, day, months, days)
        if months is not None:  # months are whole months: the first days of months
            assert all(m is None or m.day == 1 for m in months)

    def test_examples(self):
        assert periods(None, None) == ((None, None), [])
        assert periods(date(2024, 2, 1), date(2024, 3, 31)) == (
            (date(2024, 2, 1), date(2024, 3, 1)),
            [],
        )
        assert periods(date(2024, 2, 10), date(2024, 3, 5)) == (
            None,
            [(date(2024, 2, 10), date(2024, 2, 29)), (date(2024, 3, 1), date(2024, 3, 5))],
        )
        assert periods(date(2024, 1, 15), date(2024, 4, 10)) == (
            (date(2024, 2, 1), date(2024, 3, 1)),
            [(date(2024, 1, 15), date(2024, 1, 31)), (date(2024, 4, 1), date(2024, 4, 10))],
        )
        assert periods(date(2024, 2, 29), date(2024, 2, 29)) == (
            None,
            [(date(2024, 2, 29), date(2024, 2, 29))],
        )
