"""Tonnes and yuan as exact decimal strings from integer grams and fen."""

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

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
